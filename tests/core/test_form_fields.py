"""The shared form partial (web/_form.html): a group of radios or checkboxes is a fieldset named by its
legend, never a label pointing at nothing; a single control keeps its label."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


class Sample(forms.Form):
    applicant = forms.ChoiceField(
        label="申请人", choices=[("1", "张三"), ("2", "李四")], widget=forms.RadioSelect
    )
    materials = forms.MultipleChoiceField(
        label="已收材料", choices=[("1", "身份证"), ("2", "户口簿")], widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(label="意见")
    agree = forms.BooleanField(label="同意", required=False)


def test_groups_are_fieldsets_with_a_legend_and_single_controls_keep_their_label() -> None:
    html = render_to_string("web/_form.html", {"form": Sample({"comment": ""})})
    assert 'for=""' not in html
    legends = re.findall(r'<fieldset class="field choices[^"]*">\s*<legend>([^<]+)', html)
    assert [legend.strip() for legend in legends] == ["申请人", "已收材料"]
    assert '<label for="id_comment">意见' in html and '<label for="id_agree">同意' in html
    # Every label points at a control that exists.
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert set(re.findall(r'<label for="([^"]*)"', html)) <= ids
    # Errors stay inside their group.
    assert re.search(r'<fieldset class="field choices has-error">\s*<legend>申请人', html)
