"""Personnel pages of the back office (issue 12 §1): the duty roster as a week
grid (/backoffice/duty/), the expert directory (/backoffice/experts/) and the
teams of the response units with their members' qualifications
(/backoffice/teams/).

Read: admin, commander, dispatcher; edit: admin, commander; everyone else
403.  Pages are plain HTML forms (no script): each POST goes through the
personnel services (audited), then back to the page (or the page again with
the refusal, naming the field, and a 400).  Phones are masked; showing one is
a POST of its own, audited.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.masking import mask_phone
from emergency import selectors_personnel as sel
from emergency.errors import DomainError
from emergency.models import Agency, DutyAssignment, DutyShift, Expert, Qualification, TeamMember
from emergency.models.personnel import DutyPosition, ExpertAvailability, ExpertField
from emergency.selectors import units_visible_to
from emergency.services import personnel as svc

__all__ = ["duty_roster", "experts", "teams"]

READ_ROLES = roles.CONTROL_ROLES
EDIT_ROLES = roles.COMMAND_ROLES
# Positions a shift must have filled; an empty one is a gap (缺岗).
REQUIRED_POSITIONS = (DutyPosition.LEADER, DutyPosition.OFFICER, DutyPosition.DISPATCHER)
PHONE_RE = r"^[0-9+\-() ]{3,32}$"


def _access(request) -> bool:
    """True if the user may edit; 403 unless they may read."""
    if not roles.has_role(request.user, *READ_ROLES):
        raise PermissionDenied(_("人员管理仅对指挥、调度人员开放。"))
    return roles.has_role(request.user, *EDIT_ROLES)


def _forbid_unless(can_edit: bool) -> None:
    if not can_edit:
        raise PermissionDenied(_("只有系统管理员和指挥长可以修改。"))


def _back(name: str, query: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"viewer:{name}") + (f"?{query}" if query else ""))


def _form_error(form) -> DomainError:
    field, messages = next(iter(form.errors.items()))
    label = form.fields[field].label if field in form.fields else field
    return DomainError(f"{label}: {' '.join(messages)}", field=field)


def _refusal(exc: forms.ValidationError) -> DomainError:
    """A model's own validation (full_clean in a service) as a refusal naming its field."""
    if hasattr(exc, "error_dict"):
        field = next(iter(exc.error_dict))
        return DomainError(" ".join(exc.messages), field="name" if field == "__all__" else field)
    return DomainError(" ".join(exc.messages), field="name")


# --- the duty roster ---------------------------------------------------------------------------


class AssignForm(forms.Form):
    date = forms.DateField(label=_("日期"))
    shift = forms.ModelChoiceField(queryset=DutyShift.objects.filter(active=True), label=_("班次"))
    position = forms.ChoiceField(choices=DutyPosition.choices, label=_("岗位"))
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False,
                                  label=_("平台账号"))
    person_name = forms.CharField(max_length=60, required=False, label=_("姓名"))
    phone = forms.RegexField(PHONE_RE, required=False, label=_("电话"))
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False, label=_("部门/机构"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_users()


def _staff_users():
    return (get_user_model().objects.filter(is_active=True, groups__name__in=roles.EMERGENCY_ROLES)
            .distinct().order_by("username"))


def _week_of(request) -> dt.date:
    value = request.GET.get("week") or request.POST.get("week")
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise DomainError(_("日期格式应为 YYYY-MM-DD"), field="week") from None
        return sel.week_start_of(sel.check_roster_date(day, "week"))
    return sel.week_start_of(timezone.localdate())


@login_required
def duty_roster(request):
    """The week grid: shifts × positions down, the seven days across; a gap
    where a required position has nobody."""
    can_edit = _access(request)
    error = None
    try:
        week = _week_of(request)
    except DomainError as exc:
        week, error = sel.week_start_of(timezone.localdate()), exc
    if request.method == "POST" and error is None:
        _forbid_unless(can_edit)
        try:
            _duty_post(request, week)
            agency = request.POST.get("agency_filter") or ""
            keep = f"&agency={agency}" if agency.isdigit() else ""
            return _back("duty", f"week={week.isoformat()}{keep}")
        except DomainError as exc:
            error = exc
        except forms.ValidationError as exc:
            error = _refusal(exc)
    return _render_roster(request, week, can_edit, error)


def _duty_post(request, week: dt.date) -> None:
    op = request.POST.get("op")
    if op == "assign":
        form = AssignForm(request.POST)
        if not form.is_valid():
            raise _form_error(form)
        data = form.cleaned_data
        svc.duty_assign(by=request.user, date=data["date"], shift=data["shift"], position=data["position"],
                        user=data["user"], person_name=data["person_name"], phone=data["phone"],
                        agency=data["agency"])
    elif op == "remove":
        duty = DutyAssignment.objects.filter(pk=request.POST.get("id") or 0).first() \
            if (request.POST.get("id") or "").isdigit() else None
        if duty is None:
            raise DomainError(_("该值班安排不存在"), field="id")
        svc.duty_unassign(by=request.user, assignment=duty)
    elif op == "copy":
        result = svc.duty_copy_week(by=request.user, week_start=week)
        request.session["duty_copy_result"] = result
    else:
        raise DomainError(_("未知操作"), field="op")


def _agency_of(request) -> Agency | None:
    value = request.GET.get("agency") or ""
    return Agency.objects.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None


def _render_roster(request, week: dt.date, can_edit: bool, error):
    days = [week + dt.timedelta(days=i) for i in range(7)]
    agency = _agency_of(request)
    duties = list(sel.duty_between(days[0], days[-1], agency=agency.pk if agency else None))
    by_slot: dict[tuple, list] = {}
    for d in duties:
        by_slot.setdefault((d.shift_id, d.position, d.date), []).append(
            {"id": d.pk, "name": d.person_name, "phone": mask_phone(d.phone),
             "agency": d.agency.name if d.agency_id else ""})
    rows, gaps = [], 0
    today = timezone.localdate()
    for shift in sel.duty_shifts():
        for n, (position, position_label) in enumerate(DutyPosition.choices):
            required = position in REQUIRED_POSITIONS
            cells = []
            for day in days:
                people = by_slot.get((shift.pk, position, day), [])
                gap = required and not people
                gaps += gap
                cells.append({"date": day, "people": people, "gap": gap, "today": day == today})
            rows.append({"shift": shift, "first": n == 0, "span": len(DutyPosition.choices),
                         "position": position, "position_label": position_label, "required": required,
                         "cells": cells})
    initial = {k: request.GET.get(k) for k in ("date", "shift", "position") if request.GET.get(k)}
    this_week = week <= today < week + dt.timedelta(days=7)
    form = AssignForm(request.POST if error and request.POST.get("op") == "assign" else None,
                      initial=initial or {"date": today if this_week else week})
    now = list(sel.on_duty_now())
    return render(request, "viewer/backoffice/duty.html", {
        "week": week, "prev": week - dt.timedelta(days=7), "next": week + dt.timedelta(days=7),
        "days": days, "rows": rows, "gaps": gaps, "count": len(duties), "form": form,
        "can_edit": can_edit, "error": error, "today": today,
        "copied": request.session.pop("duty_copy_result", None),
        "now": [{"position": d.get_position_display(), "name": d.person_name, "phone": mask_phone(d.phone),
                 "shift": d.shift.name} for d in now],
        "active": "duty", "agency": agency, "agencies": Agency.objects.order_by("code"),
    }, status=400 if error else 200)


# --- experts -----------------------------------------------------------------------------------


class ExpertForm(forms.Form):
    name = forms.CharField(max_length=60, label=_("姓名"))
    fields = forms.MultipleChoiceField(choices=ExpertField.choices, label=_("专业领域"),
                                        widget=forms.CheckboxSelectMultiple)
    organisation = forms.CharField(max_length=200, label=_("工作单位"))
    title = forms.CharField(max_length=100, required=False, label=_("职称/职务"))
    phone = forms.RegexField(PHONE_RE, label=_("电话"))
    availability = forms.ChoiceField(choices=ExpertAvailability.choices, label=_("响应状态"))


def _expert_of(request) -> Expert:
    value = request.POST.get("id") or ""
    expert = Expert.objects.filter(pk=int(value)).first() if value.isdigit() and len(value) < 12 else None
    if expert is None:
        raise DomainError(_("该专家不存在"), field="id")
    return expert


@login_required
def experts(request):
    """The expert directory: search by field and text, phones masked, shown on
    purpose (audited); editors add experts."""
    can_edit = _access(request)
    error, revealed, form = None, {}, ExpertForm()
    if request.method == "POST":
        op = request.POST.get("op")
        try:
            if op == "reveal":
                expert = _expert_of(request)
                svc.expert_phone_reveal(expert=expert, by=request.user)
                revealed[expert.pk] = expert.phone
            elif op == "availability":
                _forbid_unless(can_edit)
                expert = _expert_of(request)
                value = request.POST.get("availability")
                if value not in ExpertAvailability.values:
                    raise DomainError(_("未知的响应状态"), field="availability")
                svc.expert_save(by=request.user, instance=expert, availability=value)
                return _back("experts", request.GET.urlencode())
            elif op == "add":
                _forbid_unless(can_edit)
                form = ExpertForm(request.POST)
                if not form.is_valid():
                    raise _form_error(form)
                d = form.cleaned_data
                svc.expert_save(by=request.user, name=d["name"], fields=d["fields"],
                                organisation=d["organisation"], title=d["title"], phone=d["phone"],
                                availability=d["availability"])
                return _back("experts")
            else:
                raise DomainError(_("未知操作"), field="op")
        except DomainError as exc:
            error = exc
        except forms.ValidationError as exc:
            error = _refusal(exc)
    field, q = request.GET.get("field", ""), request.GET.get("q", "")
    try:
        rows = list(sel.experts_matching(field=field or None, q=q or None))
    except DomainError as exc:
        rows, error = [], exc
    labels = dict(ExpertField.choices)
    shown = [{"id": e.pk, "name": e.name, "fields": [labels.get(f, f) for f in e.fields],
              "organisation": e.organisation, "title": e.title, "availability": e.availability,
              "availability_label": e.get_availability_display(), "synthetic": e.synthetic,
              "phone": revealed.get(e.pk) or mask_phone(e.phone), "revealed": e.pk in revealed} for e in rows]
    return render(request, "viewer/backoffice/experts.html", {
        "experts": shown, "field": field, "q": q, "field_choices": ExpertField.choices, "form": form,
        "availability_choices": ExpertAvailability.choices,
        "can_edit": can_edit, "error": error, "active": "experts",
    }, status=400 if error else 200)


# --- teams -------------------------------------------------------------------------------------


class MemberForm(forms.Form):
    name = forms.CharField(max_length=60, label=_("姓名"))
    role = forms.CharField(max_length=40, label=_("队内职务"))
    phone = forms.RegexField(PHONE_RE, required=False, label=_("电话"))


class EditMemberForm(MemberForm):
    """An edit of a member: a blank phone keeps the number on file (the page
    shows it masked and never puts it in a form)."""

    active = forms.BooleanField(required=False, label=_("在岗"))


class QualificationForm(forms.Form):
    member = forms.IntegerField(min_value=1, label=_("队员"))
    name = forms.CharField(max_length=100, label=_("资质名称"))
    certificate_no = forms.CharField(max_length=60, label=_("证书编号"))
    issued_on = forms.DateField(required=False, label=_("发证日期"))
    expires_on = forms.DateField(required=False, label=_("有效期至"))


def _member_of(request, unit) -> TeamMember:
    """The member named by the POST's ``id``, on ``unit``'s team, or a refusal naming ``id``."""
    value = request.POST.get("id") or ""
    member = TeamMember.objects.filter(pk=int(value), unit=unit).first() \
        if value.isdigit() and len(value) < 12 else None
    if member is None:
        raise DomainError(_("该队员不存在"), field="id")
    return member


@login_required
def teams(request):
    """Units with their team members and qualifications (expired ones flagged)."""
    can_edit = _access(request)
    units = list(units_visible_to(request.user).select_related("agency", "home_station").order_by("code"))
    unit_id = request.GET.get("unit") or request.POST.get("unit") or ""
    unit = next((u for u in units if str(u.pk) == unit_id), units[0] if units else None)
    error, revealed = None, {}
    member_form, qual_form = MemberForm(), QualificationForm()
    if request.method == "POST" and unit is not None:
        op = request.POST.get("op")
        try:
            if op == "reveal":
                member = _member_of(request, unit)
                svc.team_member_phone_reveal(member=member, by=request.user)
                revealed[member.pk] = member.phone
            elif op == "add_member":
                _forbid_unless(can_edit)
                member_form = MemberForm(request.POST)
                if not member_form.is_valid():
                    raise _form_error(member_form)
                svc.team_member_save(by=request.user, unit=unit, **member_form.cleaned_data)
                return _back("teams", f"unit={unit.pk}")
            elif op == "edit_member":
                _forbid_unless(can_edit)
                member = _member_of(request, unit)
                form = EditMemberForm(request.POST)
                if not form.is_valid():
                    raise _form_error(form)
                data = {k: v for k, v in form.cleaned_data.items() if k != "phone" or v}
                svc.team_member_save(by=request.user, instance=member, **data)
                return _back("teams", f"unit={unit.pk}")
            elif op == "remove_member":
                _forbid_unless(can_edit)
                member = _member_of(request, unit)
                if request.POST.get("confirm") != "1":
                    raise DomainError(_("请勾选确认后再移除队员"), field="confirm")
                svc.team_member_remove(by=request.user, member=member)
                return _back("teams", f"unit={unit.pk}")
            elif op == "remove_qualification":
                _forbid_unless(can_edit)
                value = request.POST.get("id") or ""
                qual = Qualification.objects.filter(pk=int(value), member__unit=unit).first() \
                    if value.isdigit() and len(value) < 12 else None
                if qual is None:
                    raise DomainError(_("该证书不存在"), field="id")
                svc.qualification_remove(by=request.user, qualification=qual)
                return _back("teams", f"unit={unit.pk}")
            elif op == "add_qualification":
                _forbid_unless(can_edit)
                qual_form = QualificationForm(request.POST)
                if not qual_form.is_valid():
                    raise _form_error(qual_form)
                d = dict(qual_form.cleaned_data)
                member = TeamMember.objects.filter(pk=d.pop("member"), unit=unit).first()
                if member is None:
                    raise DomainError(_("该队员不存在"), field="member")
                svc.qualification_add(by=request.user, member=member, **d)
                return _back("teams", f"unit={unit.pk}")
            else:
                raise DomainError(_("未知操作"), field="op")
        except DomainError as exc:
            error = exc
        except forms.ValidationError as exc:
            error = _refusal(exc)
    today = timezone.localdate()
    counts = dict(TeamMember.objects.filter(unit__in=units).values("unit_id")
                  .annotate(n=Count("pk")).values_list("unit_id", "n"))
    members = []
    if unit is not None:
        for m in sel.team_members_of(unit=unit.pk):
            quals = [{"id": q.pk, "name": q.name, "certificate_no": q.certificate_no,
                      "expires_on": q.expires_on,
                      "expired": sel.qualification_expired(q, today),
                      "soon": q.expires_on is not None
                      and today <= q.expires_on < today + dt.timedelta(days=90)}
                     for q in m.qualifications.all()]
            members.append({"id": m.pk, "name": m.name, "role": m.role, "active": m.active,
                            "phone": revealed.get(m.pk) or mask_phone(m.phone), "revealed": m.pk in revealed,
                            "quals": quals, "expired": any(q["expired"] for q in quals)})
    return render(request, "viewer/backoffice/teams.html", {
        "units": [{"id": u.pk, "code": u.code, "name": u.name, "count": counts.get(u.pk, 0)} for u in units],
        "unit": unit, "members": members, "member_form": member_form, "qual_form": qual_form,
        "can_edit": can_edit, "error": error, "active": "teams",
        "expired_count": sum(m["expired"] for m in members),
    }, status=400 if error else 200)
