"""The compile pipeline: its stages, the bar moved by WeasyPrint's layout, the PDF's
parts."""

import hashlib
import logging
import threading
from contextlib import ExitStack

import pytest
from django.utils import timezone

from reporting import pdf, pipeline


@pytest.mark.django_db
def test_compiling_reports_each_stage_and_a_moving_bar(cycle, some_updates):
    seen = []
    report = pipeline.report_compile(
        cycle=cycle,
        language="en",
        as_of=timezone.now(),
        on_progress=lambda stage, percent: seen.append((str(stage), percent)),
    )
    stages = [stage for stage, _ in seen]
    assert stages[:3] == ["gathering", "charts", "rendering"]
    assert set(stages) == {"gathering", "charts", "rendering"}
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents)
    # WeasyPrint's page-by-page layout moves the bar between the stages.
    assert any(35 < percent < 88 for percent in percents)
    assert report.page_count > 10
    assert report.sha256 == hashlib.sha256(report.pdf).hexdigest()


@pytest.mark.django_db
def test_the_fetcher_serves_the_report_stylesheet_and_nothing_else():
    fetcher = pdf.StaticFilesFetcher()
    response = fetcher.fetch(pdf.STATIC_ROOT_URL + pdf.STYLESHEET)
    assert b"@page" in response.read()
    for url in (
        "http://example.org/x.css",
        "https://example.org/x.css",
        "file:///etc/passwd",
        pdf.STATIC_ROOT_URL + "../portal/settings.py",
        pdf.STATIC_ROOT_URL + "reporting/missing.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


@pytest.mark.django_db
def test_the_page_footer_is_one_translatable_sentence():
    assert pdf.page_of_content() == '"Page " counter(page) " of " counter(pages)'


# --- The layout's progress, from WeasyPrint's log -----------------------------------


def _page(logger: logging.Logger, number: int) -> None:
    logger.info("Step 5 - Creating layout - Page %d", number)


def _percent(page: int, expected: int) -> int:
    start, end = pipeline.LAYOUT_SPAN
    return start + int((end - start) * min(0.98, page / expected))


def test_two_compiles_at_once_each_hear_only_their_own_pages():
    logger = logging.getLogger(pipeline.PROGRESS_LOGGER)
    saved = (logger.level, logger.propagate)
    # A long report starting its layout while a short one ends its own.
    pages = {"long": ([1, 2, 3, 4, 5], 100), "short": ([8, 9, 10], 10)}
    heard = {name: [] for name in pages}
    # Both listen before either lays out a page, and until both are done; the long
    # one logs its pages first.
    listening = threading.Barrier(2, timeout=10)
    long_done = threading.Event()

    def compile_in_a_thread(name: str) -> None:
        numbers, expected = pages[name]
        with pipeline.layout_progress(
            lambda stage, percent: heard[name].append((str(stage), percent)),
            expected_pages=expected,
        ):
            listening.wait()
            if name == "short":
                long_done.wait(10)
            for number in numbers:
                _page(logger, number)
            long_done.set()
            listening.wait()

    threads = [threading.Thread(target=compile_in_a_thread, args=(n,)) for n in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert heard == {
        "long": [("rendering", 36), ("rendering", 37)],
        "short": [("rendering", 75), ("rendering", 80), ("rendering", 84)],
    }
    assert (logger.level, logger.propagate) == saved
    assert not [h for h in logger.handlers if isinstance(h, pipeline.LayoutProgress)]


def test_the_log_is_put_back_when_the_last_listener_stops():
    logger = logging.getLogger(pipeline.PROGRESS_LOGGER)
    saved = (logger.level, logger.propagate)
    first, second = [], []
    with ExitStack() as outer:
        outer.enter_context(
            pipeline.layout_progress(
                lambda stage, percent: first.append(percent), expected_pages=10
            )
        )
        with pipeline.layout_progress(
            lambda stage, percent: second.append(percent), expected_pages=10
        ):
            outer.close()  # the first compile is done while the second lays out
            assert (logger.level, logger.propagate) == (logging.INFO, False)
            _page(logger, 5)
        assert (logger.level, logger.propagate) == saved
    _page(logger, 6)  # nobody listens any more
    assert (first, second) == ([], [_percent(5, 10)])


def test_a_cancelled_compile_is_stopped_at_the_next_stage_not_in_the_layout():
    logger = logging.getLogger(pipeline.PROGRESS_LOGGER)

    def cancel(stage, percent):
        raise pipeline.CompileCancelled

    with pipeline.layout_progress(cancel, expected_pages=10) as listener:
        _page(logger, 5)  # WeasyPrint is not interrupted
    assert listener.percent == _percent(5, 10)
