from __future__ import annotations

from rest_framework import serializers

from communes.models import AdminUnit, UnitChange
from criteria.models import Attainment, Criterion, Indicator, Recognition, RuleSet


class UnitChangeSerializer(serializers.ModelSerializer):
    successor = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = UnitChange
        fields = ["kind", "effective", "old_name", "new_name", "successor", "legal_basis"]


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdminUnit
        fields = ["code", "name", "valid_from", "valid_to"]


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    attributes = serializers.SerializerMethodField()
    successor = UnitRefSerializer(read_only=True, allow_null=True)
    predecessors = UnitRefSerializer(many=True, read_only=True)
    changes = UnitChangeSerializer(many=True, read_only=True)

    class Meta:
        model = AdminUnit
        fields = [
            "code",
            "name",
            "kind",
            "level",
            "parent",
            "path",
            "region",
            "attributes",
            "valid_from",
            "valid_to",
            "successor",
            "predecessors",
            "changes",
            "is_demo",
        ]

    def get_attributes(self, unit: AdminUnit) -> list[str]:
        return sorted(unit.attributes)


class IndicatorSerializer(serializers.ModelSerializer):
    criterion = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Indicator
        fields = ["code", "criterion", "text", "kind", "unit_label", "target", "target_text", "verified", "legal_basis"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["code", "name", "name_verified"]


class RuleSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleSet
        fields = [
            "id",
            "code",
            "version",
            "name",
            "short_name",
            "level",
            "tier",
            "programme_period",
            "legal_basis",
            "valid_from",
            "valid_to",
            "status",
            "prerequisite_code",
            "verified",
        ]


class RuleSetDetailSerializer(RuleSetSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta(RuleSetSerializer.Meta):
        fields = [*RuleSetSerializer.Meta.fields, "criteria", "indicators"]


# Counts the recompute adds over time (e.g. those with approved values only) are exposed as they appear.
_APPROVED_COUNTS = [f.name for f in Attainment._meta.get_fields() if f.name.endswith("_approved")]


class AttainmentSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    rule_set = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    period = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Attainment
        fields = [
            "unit",
            "unit_name",
            "rule_set",
            "rule_set_version",
            "period",
            "criteria_met",
            "criteria_total",
            "indicators_met",
            "indicators_total",
            "conditions_met",
            "conditions_total",
            "no_data",
            *_APPROVED_COUNTS,
            "prerequisite_met",
            "attained",
            "criteria_status",
            "missing",
            "computed_at",
        ]


class RecognitionSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    rule_set = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rule_set_version = serializers.IntegerField(source="rule_set.version", read_only=True)
    tier = serializers.CharField(source="rule_set.tier", read_only=True)

    class Meta:
        model = Recognition
        fields = [
            "id",
            "unit",
            "unit_name",
            "rule_set",
            "rule_set_version",
            "tier",
            "kind",
            "decision_number",
            "decision_date",
            "authority",
            "signer",
            "revoked_on",
            "revocation_number",
            "revocation_reason",
            "is_demo",
        ]
