"""Demo progress updates: plausible, invented, and filed through the real workflow."""

import random
from datetime import date

from django.db import transaction

from accounts.models import User
from recommendations import notifications, services
from recommendations.models import (
    AssistanceNeed,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    Status,
    Visibility,
)
from recommendations.services import MeasureData, NeedData, UpdateContent

CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)

# Invented but typical measures, by theme position.
MEASURES = {
    1: [
        ("policy", "National action plan against organized crime, trafficking chapter")
    ],
    2: [("cooperation", "Memorandum with technology companies on reporting channels")],
    3: [("legislation", "Amendment to the cybercrime law on online exploitation")],
    4: [("training", "Course on financial investigation for prosecutors")],
    5: [("institution", "Anti-corruption unit for trafficking cases")],
    6: [("awareness", "Workshops for journalists on reporting about trafficking")],
    7: [("victim_services", "Protocol for identifying and referring victims")],
    8: [("data", "Annual report to the OAS on the Third Work Plan")],
}

NARRATIVE = (
    "The inter-institutional committee against trafficking in persons met {meetings} "
    "times in the period. The ministries concerned agreed on a work plan with "
    "responsibilities and indicators, and **{done}** of its actions are complete.\n\n"
    "- The measures below were adopted after consulting civil society organizations "
    "and survivor leaders.\n"
    "- Regional offices received guidance and a budget line for {year}.\n\n"
    "Next steps: evaluate the results with the statistics office and publish them."
)


def _content(
    rng: random.Random,
    recommendation: Recommendation,
    status: str,
    visibility: str,
    reference: str = "",
) -> UpdateContent:
    kind, title = rng.choice(MEASURES[recommendation.theme.position])
    return UpdateContent(
        status=status,
        summary=(
            f"Measures on recommendation {recommendation.number} are "
            f"{Status(status).label.lower()}: {title.lower()}."
        ),
        narrative=NARRATIVE.format(
            meetings=rng.randint(2, 9), done=f"{rng.randint(20, 95)}%", year=2026
        ),
        narrative_language="en",
        narrative_visibility=visibility,
        challenges="Staff turnover in the regional offices slowed the training plan.",
        on_behalf_reference=reference,
        measures=[
            MeasureData(
                kind=kind,
                title=title,
                date=date(2025, rng.randint(1, 12), 1),
                link="https://www.oas.org/",
            )
        ],
        assistance_needs=[
            NeedData(
                kind=AssistanceNeed.Kind.TRAINING,
                description="Training of trainers for labour inspectors.",
            )
        ]
        if rng.random() < 0.4
        else [],
    )


@transaction.atomic
def seed_demo_updates(cycle: ReportingCycle) -> int:
    """File the demo updates once; a second run finds them and adds nothing.

    They are history, not news: their steps tell nobody."""
    if ProgressUpdate.objects.filter(cycle=cycle).exists():
        return 0
    with notifications.quiet():
        return _file_history(cycle)


def _file_history(cycle: ReportingCycle) -> int:
    rng = random.Random(8)  # noqa: S311 - invented data, the same every time
    reviewer = User.objects.get(username="reviewer")
    secretariat = User.objects.get(username="secretariat")
    recommendations = {
        r.number: r for r in cycle.instrument.recommendations.select_related("theme")
    }
    count = 0

    def file(actor, state, number, status, visibility, steps, reference=""):
        nonlocal count
        update = services.progress_update_create(
            actor=actor,
            cycle=cycle,
            member_state=state,
            recommendation=recommendations[number],
            content=_content(
                rng, recommendations[number], status, visibility, reference
            ),
        )
        count += 1
        if "submit" in steps:
            services.progress_update_submit(update=update, actor=actor)
        if "return" in steps:
            services.progress_update_return(
                update=update,
                actor=reviewer,
                checklist=CHECKLIST,
                comment="Please say which institutions take part and since when.",
            )
        if "accept" in steps:
            services.progress_update_accept(
                update=update, actor=reviewer, checklist=CHECKLIST
            )
        return update

    # Mexico and Brazil: every review state, public and confidential narratives.
    for username, iso3 in (("focal-mex", "MEX"), ("focal-bra", "BRA")):
        focal = User.objects.get(username=username)
        state = MemberState.objects.get(iso3=iso3)
        public, confidential = Visibility.PUBLIC, Visibility.CONFIDENTIAL
        file(focal, state, 1, Status.LARGELY_IMPLEMENTED, public, ["submit", "accept"])
        file(focal, state, 3, Status.IN_PROGRESS, confidential, ["submit", "accept"])
        file(focal, state, 7, Status.FULLY_IMPLEMENTED, public, ["submit", "accept"])
        file(focal, state, 9, Status.PLANNED, public, ["submit"])
        file(focal, state, 13, Status.IN_PROGRESS, confidential, ["submit", "return"])
        file(focal, state, 16, Status.NOT_STARTED, public, [])
        file(focal, state, 17, Status.LARGELY_IMPLEMENTED, public, ["submit", "accept"])

    # Many other states, by note verbale entered by the Secretariat.
    others = MemberState.objects.filter(participating=True).exclude(
        iso3__in=["MEX", "BRA"]
    )
    state_numbers = [n for n, r in recommendations.items() if not r.is_for_secretariat]
    ordered = [s for s in Status if s != Status.NOT_APPLICABLE]
    for state in rng.sample(list(others), 20):
        for number in sorted(rng.sample(state_numbers, rng.randint(4, 14))):
            status = rng.choices(ordered, weights=[1, 2, 4, 3, 2])[0]
            file(
                secretariat,
                state,
                number,
                status,
                Visibility.PUBLIC,
                ["submit", "accept"],
                reference=f"Note verbale {state.iso3}-{rng.randint(100, 999)}/2026",
            )
    # The Secretariat's own recommendation, filed by one officer, accepted by another.
    file(
        secretariat,
        None,
        22,
        Status.IN_PROGRESS,
        Visibility.PUBLIC,
        ["submit", "accept"],
    )
    return count
