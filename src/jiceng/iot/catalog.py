"""The device types a county usually runs (安防, 垃圾分类, 环境监测, 防汛) and their usual alarm rules.

``seed_device_types`` (jiceng seed_device_types) creates what is missing; admins change them afterwards.
Metric ranges are what the sensor can physically report: a value outside is a faulty or forged reading.
Rule categories are leaf codes of the seeded category tree (src/jiceng/events/data/categories.json).
"""

from __future__ import annotations

from typing import Any

DEVICE_TYPES: list[dict[str, Any]] = [
    {
        "code": "smoke_detector",
        "name": "独立式烟感探测器",
        "domain": "security",
        "offline_after_minutes": 180,
        "metrics": [
            {"key": "smoke", "name": "烟雾浓度", "unit": "%obs/m", "min": 0, "max": 100},
            {"key": "temperature", "name": "温度", "unit": "℃", "min": -40, "max": 125},
            {"key": "battery", "name": "电量", "unit": "%", "min": 0, "max": 100},
        ],
    },
    {
        "code": "manhole_cover",
        "name": "智能井盖",
        "domain": "security",
        "offline_after_minutes": 180,
        "metrics": [
            {"key": "tilt", "name": "倾角", "unit": "°", "min": 0, "max": 180},
            {"key": "water_level", "name": "井下水位", "unit": "cm", "min": 0, "max": 1000},
            {"key": "battery", "name": "电量", "unit": "%", "min": 0, "max": 100},
        ],
    },
    {
        "code": "camera_ai",
        "name": "视频监控（智能分析）",
        "domain": "security",
        "offline_after_minutes": 10,
        "metrics": [],
    },
    {
        "code": "bin_fill",
        "name": "垃圾桶满溢监测",
        "domain": "garbage",
        "offline_after_minutes": 120,
        "metrics": [
            {"key": "fill", "name": "满溢度", "unit": "%", "min": 0, "max": 100},
            {"key": "battery", "name": "电量", "unit": "%", "min": 0, "max": 100},
        ],
    },
    {
        "code": "air_quality",
        "name": "空气质量监测站",
        "domain": "environment",
        "offline_after_minutes": 30,
        "metrics": [
            {"key": "pm25", "name": "PM2.5", "unit": "μg/m³", "min": 0, "max": 1000},
            {"key": "pm10", "name": "PM10", "unit": "μg/m³", "min": 0, "max": 2000},
            {"key": "noise", "name": "噪声", "unit": "dB(A)", "min": 20, "max": 140},
        ],
    },
    {
        "code": "water_level",
        "name": "道路积水监测",
        "domain": "flood",
        "offline_after_minutes": 30,
        "metrics": [{"key": "depth", "name": "积水深度", "unit": "cm", "min": 0, "max": 500}],
    },
]

# name, type, kind, metric or alarm code, comparison, threshold, consecutive, category, urgency, form field
RULES: list[dict[str, Any]] = [
    {
        "name": "烟感报警",
        "type": "smoke_detector",
        "kind": "device",
        "metric": "smoke",
        "category_code": "CG0409",
        "urgency": "critical",
    },
    {
        "name": "烟感高温",
        "type": "smoke_detector",
        "metric": "temperature",
        "comparison": "ge",
        "threshold": 70,
        "consecutive": 2,
        "category_code": "CG0409",
        "urgency": "urgent",
    },
    {
        "name": "烟感低电量",
        "type": "smoke_detector",
        "metric": "battery",
        "comparison": "lt",
        "threshold": 10,
        "consecutive": 3,
        "category_code": "SC0803",
        "urgency": "normal",
        "cooldown_minutes": 1440,
    },
    {
        "name": "井盖位移",
        "type": "manhole_cover",
        "metric": "tilt",
        "comparison": "gt",
        "threshold": 15,
        "consecutive": 1,
        "category_code": "CG0499",
        "urgency": "urgent",
    },
    {
        "name": "井下水位过高",
        "type": "manhole_cover",
        "metric": "water_level",
        "comparison": "ge",
        "threshold": 80,
        "consecutive": 3,
        "category_code": "CG0404",
        "urgency": "normal",
    },
    {
        "name": "监控识别火情",
        "type": "camera_ai",
        "kind": "device",
        "metric": "fire",
        "category_code": "CG0409",
        "urgency": "critical",
    },
    {
        "name": "监控识别暴露垃圾",
        "type": "camera_ai",
        "kind": "device",
        "metric": "garbage",
        "category_code": "CG0102",
        "urgency": "normal",
    },
    {
        "name": "监控设备故障",
        "type": "camera_ai",
        "kind": "device",
        "metric": "fault",
        "category_code": "ZZ0203",
        "urgency": "normal",
    },
    {
        "name": "垃圾桶满溢",
        "type": "bin_fill",
        "metric": "fill",
        "comparison": "ge",
        "threshold": 90,
        "consecutive": 2,
        "category_code": "ZF0204",
        "urgency": "normal",
    },
    {
        "name": "PM2.5 重度污染",
        "type": "air_quality",
        "metric": "pm25",
        "comparison": "gt",
        "threshold": 150,
        "consecutive": 3,
        "hold_seconds": 1800,
        "category_code": "ZF0401",
        "urgency": "normal",
    },
    {
        "name": "噪声超标",
        "type": "air_quality",
        "metric": "noise",
        "comparison": "gt",
        "threshold": 85,
        "consecutive": 3,
        "category_code": "ZF0403",
        "urgency": "normal",
    },
    {
        "name": "道路积水",
        "type": "water_level",
        "metric": "depth",
        "comparison": "ge",
        "threshold": 20,
        "consecutive": 2,
        "category_code": "CG0406",
        "urgency": "urgent",
        "form_field": "depth_cm",
    },
]
