"""aiokafka's group-coordination failures reach the broker log as one line, not a traceback
(the OpenAPI fuzz once saw aiokafka's own assertion fail during a subscription change)."""

from __future__ import annotations

import logging

from core.proxy.consumers import one_line_coordinator_errors


def test_a_coordinator_failure_is_logged_in_one_line(caplog) -> None:
    one_line_coordinator_errors()
    one_line_coordinator_errors()  # installed once however often the proxy starts
    logger = logging.getLogger("aiokafka.consumer.group_coordinator")
    assert len(logger.filters) == 1
    with caplog.at_level(logging.ERROR, logger=logger.name):
        try:
            raise AssertionError("assignment is None")
        except AssertionError:
            logger.error("Unexpected error in coordinator routine", exc_info=True)
    (record,) = caplog.records
    assert record.exc_info is None
    assert record.getMessage() == (
        "Unexpected error in coordinator routine: AssertionError: "
        "AssertionError('assignment is None')"
    )
    assert "Traceback" not in caplog.text
