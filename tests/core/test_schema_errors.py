"""JSON Schema errors of extra fields come out in Chinese, one per problem, naming the field by its title."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from django.utils import translation

from jiceng.core.schema_errors import form_errors

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "area": {"type": "number", "title": "面积（平方米）", "minimum": 0, "maximum": 1000000},
        "depth_cm": {
            "type": "integer",
            "title": "积水深度（厘米）",
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 500,
        },
        "structure": {
            "type": "string",
            "title": "结构",
            "oneOf": [{"const": "simple", "title": "简易棚架"}, {"const": "brick", "title": "砖混"}],
        },
        "size": {"type": "string", "title": "大小", "enum": ["小", "大"]},
        "plate": {
            "type": "string",
            "title": "车牌号",
            "minLength": 7,
            "maxLength": 8,
            "pattern": "^[浙][A-Z]",
        },
        "lanes": {
            "type": "array",
            "title": "涉及车道",
            "items": {"type": "string", "enum": ["左", "右"]},
            "minItems": 1,
            "maxItems": 1,
            "uniqueItems": True,
        },
        "urgent": {"type": "boolean", "title": "是否紧急"},
        "untitled": {"type": "integer"},
        "odd": {"type": "string", "title": "其他", "not": {"const": "x"}},
    },
    "required": ["area", "structure"],
    "additionalProperties": False,
}


def errors(data: Any) -> dict[str, list[str]]:
    with translation.override("zh-hans"):
        return form_errors(jsonschema.Draft202012Validator(SCHEMA), SCHEMA, data)


def test_valid_data_has_no_errors() -> None:
    assert errors({"area": 12.5, "structure": "brick", "lanes": ["左"], "urgent": True}) == {}


def test_required_fields_are_named_by_their_title() -> None:
    assert errors({}) == {
        "form_data.area": ["请填写“面积（平方米）”。"],
        "form_data.structure": ["请填写“结构”。"],
    }


def test_each_kind_of_problem_has_its_message() -> None:
    found = errors(
        {
            "area": "很大",
            "depth_cm": 0,
            "structure": "tent",
            "size": "中",
            "plate": "沪A1",
            "lanes": ["中", "左", "左"],
            "urgent": "yes",
            "untitled": 1.5,
            "odd": "x",
        }
    )
    assert found["form_data.area"] == ["“面积（平方米）”须为数字。"]
    assert found["form_data.depth_cm"] == ["“积水深度（厘米）”须大于 0。"]
    assert found["form_data.structure"] == ["“结构”不是可选的值。"]
    assert found["form_data.size"] == ["“大小”不是可选的值。"]
    assert found["form_data.plate"] == ["“车牌号”至少 7 个字。", "“车牌号”的格式不正确。"]
    assert set(found["form_data.lanes"]) == {
        "“涉及车道”不是可选的值。",
        "“涉及车道”最多选择 1 项。",
        "“涉及车道”有重复的选项。",
    }
    assert found["form_data.urgent"] == ["“是否紧急”须为“是”或“否”。"]
    assert found["form_data.untitled"] == ["“untitled”须为整数。"]  # no title: the key
    assert found["form_data.odd"] == ["“其他”的值不符合要求。"]  # anything else: a general message
    # In the schema's order, whatever order jsonschema found them in.
    assert list(found)[:3] == ["form_data.area", "form_data.depth_cm", "form_data.structure"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"area": -1, "structure": "brick"}, "“面积（平方米）”不能小于 0。"),
        ({"area": 2000000, "structure": "brick"}, "“面积（平方米）”不能大于 1000000。"),
        ({"area": 1, "structure": "brick", "depth_cm": 500}, "“积水深度（厘米）”须小于 500。"),
        ({"area": 1, "structure": "brick", "plate": "浙A1234567"}, "“车牌号”最多 8 个字。"),
        ({"area": 1, "structure": "brick", "lanes": []}, "“涉及车道”至少选择 1 项。"),
    ],
)
def test_bounds(data: dict[str, Any], message: str) -> None:
    assert message in [m for messages in errors(data).values() for m in messages]


def test_problems_of_the_whole_form() -> None:
    assert errors({"area": 1, "structure": "brick", "colour": "红"}) == {"form_data": ["未知字段：colour。"]}
    assert errors([1]) == {"form_data": ["表单数据必须是 JSON 对象。"]}


def test_english_when_the_user_reads_english() -> None:
    with translation.override("en"):
        found = form_errors(jsonschema.Draft202012Validator(SCHEMA), SCHEMA, {"structure": "brick"})
    assert found == {"form_data.area": ["Please fill in “面积（平方米）”."]}
