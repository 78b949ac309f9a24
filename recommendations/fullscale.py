"""A full-scale data set for benchmarks: every state, every recommendation, many cycles.

Written with bulk inserts rather than through the workflow services: it is measurement
data, made in minutes instead of hours, with the same shape the workflow leaves (each
update's history, the latest accepted per state and recommendation, measures, needs).
"""

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_assign_role
from recommendations.models import (
    AssistanceNeed,
    Instrument,
    Measure,
    MemberState,
    ProgressUpdate,
    ReportingCycle,
    ReviewState,
    Status,
    UpdateEvent,
    Visibility,
)

SENTENCES = [
    "The inter-institutional committee against trafficking in persons met {n} times "
    "during the period and approved a work plan with indicators and responsibilities.",
    "The Ministry of Labour trained {n} inspectors to identify signs of forced labour "
    "in agriculture, construction and domestic work.",
    "Prosecutors opened {n} investigations that used financial intelligence alongside "
    "testimony, following the protocol adopted last year.",
    "A national hotline now answers in three languages, and {n} calls were referred to "
    "specialised services after an assessment of risk.",
    "Regional offices received guidance and a dedicated budget line so that shelters "
    "could extend their opening hours and hire {n} additional staff.",
    "Civil society organisations and survivor leaders took part in {n} consultations "
    "on the revision of the national action plan.",
    "The statistics office published the second annual report with data disaggregated "
    "by sex, age and nationality, covering {n} institutions.",
    "Cooperation agreements with {n} neighbouring states allowed joint investigations "
    "and the safe return of victims who wished to go home.",
    "Procurement rules were amended so that {n} public contracts now require suppliers "
    "to show how they prevent exploitation in their supply chains.",
    "Journalists and broadcasters attended {n} workshops on reporting about "
    "trafficking without exposing victims or confusing it with migrant smuggling.",
]


def narrative(rng: random.Random, words: int = 300) -> str:
    text: list[str] = []
    while sum(len(sentence.split()) for sentence in text) < words:
        text.append(rng.choice(SENTENCES).format(n=rng.randint(2, 90)))
    paragraphs = [" ".join(text[i : i + 4]) for i in range(0, len(text), 4)]
    return "\n\n".join(paragraphs)


def _author() -> tuple[User, User]:
    reviewer, _ = User.objects.get_or_create(
        username="bench-reviewer", defaults={"email": "bench-reviewer@example.org"}
    )
    author, _ = User.objects.get_or_create(
        username="bench-secretariat",
        defaults={"email": "bench-secretariat@example.org"},
    )
    for user in (reviewer, author):
        user_assign_role(user=user, role=Role.REVIEWER)
    return author, reviewer


def _cycles(instrument: Instrument, count: int) -> list[ReportingCycle]:
    """``count`` cycles ending with the open one; earlier ones are made and closed."""
    current = ReportingCycle.objects.open().get()
    cycles = [current]
    for back in range(1, count):
        start = current.period_start - timedelta(days=730 * back)
        cycle, _ = ReportingCycle.objects.get_or_create(
            slug=f"bench-cycle-{back}",
            defaults={
                "instrument": instrument,
                "name": f"Benchmark cycle {back}",
                "meeting": "Earlier meeting",
                "period_start": start,
                "period_end": start + timedelta(days=700),
                "deadline": datetime(start.year + 2, 1, 31, tzinfo=ZoneInfo("UTC")),
                "is_open": False,
            },
        )
        cycles.append(cycle)
    return cycles


@transaction.atomic
def seed_full_scale(
    *, cycles: int = 3, per: int = 10, seed: int = 7, progress: Callable[[float], None]
) -> int:
    """Fill ``cycles`` cycles with ``per`` updates per state and recommendation.

    In each cycle, per state and recommendation: ``per - 1`` accepted updates, each
    superseding the one before, then one that is submitted, returned or a draft; with
    ``per=1``, the one update is accepted, so that every scale publishes statuses.
    """
    rng = random.Random(seed)  # noqa: S311 - made-up data, the same every run
    instrument = Instrument.objects.current()
    author, reviewer = _author()
    states = list(MemberState.objects.all())
    recommendations = list(instrument.recommendations.all())
    statuses = list(Status.values)
    plan = _cycles(instrument, cycles)
    total = len(plan) * len(states) * len(recommendations)
    done = created = 0
    now = timezone.now()
    for cycle in plan:
        for state in states:
            batch: list[ProgressUpdate] = []
            for recommendation in recommendations:
                member_state = None if recommendation.is_for_secretariat else state
                if member_state is None and state != states[0]:
                    continue  # the Secretariat's own item, once per cycle
                for index in range(per):
                    last = index == per - 1 and per > 1
                    review_state = (
                        rng.choice(
                            [
                                ReviewState.SUBMITTED,
                                ReviewState.RETURNED,
                                ReviewState.DRAFT,
                            ]
                        )
                        if last
                        else ReviewState.ACCEPTED
                    )
                    moment = now - timedelta(days=(per - index) * 7 + rng.random())
                    batch.append(
                        ProgressUpdate(
                            cycle=cycle,
                            member_state=member_state,
                            recommendation=recommendation,
                            status=rng.choice(statuses),
                            summary=f"{state.name_en} on recommendation "
                            f"{recommendation.number}, step {index + 1}.",
                            narrative=narrative(rng),
                            narrative_visibility=rng.choice(
                                [
                                    Visibility.PUBLIC,
                                    Visibility.PUBLIC,
                                    Visibility.CONFIDENTIAL,
                                ]
                            ),
                            challenges="Staff turnover slowed the training plan.",
                            review_state=review_state,
                            author=author,
                            on_behalf=member_state is not None,
                            on_behalf_reference="Note verbale (benchmark)",
                            submitted_at=moment,
                            reviewed_at=moment
                            if review_state == ReviewState.ACCEPTED
                            else None,
                            reviewed_by=reviewer
                            if review_state == ReviewState.ACCEPTED
                            else None,
                        )
                    )
            ProgressUpdate.objects.bulk_create(batch, batch_size=500)
            _children(rng, batch)
            created += len(batch)
            done += len(recommendations)
            progress(done / total)
    return created


def _children(rng: random.Random, updates: list[ProgressUpdate]) -> None:
    kinds = Measure.Kind.values
    needs = AssistanceNeed.Kind.values
    Measure.objects.bulk_create(
        Measure(
            update=update,
            kind=rng.choice(kinds),
            title=f"Measure {n + 1} on recommendation {update.recommendation.number}",
            date=date(2025, rng.randint(1, 12), rng.randint(1, 28)),
            link="https://www.oas.org/",
        )
        for update in updates
        for n in range(rng.randint(1, 3))
    )
    AssistanceNeed.objects.bulk_create(
        AssistanceNeed(
            update=update, kind=rng.choice(needs), description="Training of trainers."
        )
        for update in updates
        if rng.random() < 0.3
    )
    UpdateEvent.objects.bulk_create(
        UpdateEvent(
            update=update,
            action=UpdateEvent.Action.ACCEPTED
            if update.review_state == ReviewState.ACCEPTED
            else UpdateEvent.Action.SUBMITTED,
            actor=update.reviewed_by or update.author,
            from_state=ReviewState.SUBMITTED,
            to_state=update.review_state,
            version=update.version,
            notify=False,
        )
        for update in updates
    )
