"""Creating and answering widget requests; the pipeline does the rest in a job."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from backend.errors import ApplicationError, ErrorCode, Forbidden
from backend.llm.api import route_exists
from backend.text import text_problem
from sql_gen.selectors import default_source
from widgets.models import Dashboard, RequestStatus, StepName, StepState, Widget, WidgetRequest, WidgetStep
from widgets.services.dashboards import (
    dashboard_create,  # noqa: F401 (its home before dashboards.py)
    require_owner,
)
from widgets.services.pipeline import request_deadline, step_resume
from widgets.services.steps import lock_request, step_queue, step_resend

MAX_PROMPT_CHARS = 2000
MAX_ANSWER_CHARS = 300


def widget_request_create(
    *, user: AbstractBaseUser, dashboard: Dashboard, prompt: str, enqueue: bool = True,
    route_override_id: int | None = None,
) -> WidgetRequest:
    """Save the request and, unless ``enqueue`` is False (the CLI runs the pipeline
    itself), queue the pipeline once the transaction commits.

    ``route_override_id`` (admins only) makes every LLM call of the request use that
    route's model; the call ledger marks those calls as overridden.

    Raises:
        ApplicationError: ``empty_prompt``/``prompt_too_long``/``invalid_text`` for bad text, ``forbidden``
            when the user does not own the dashboard or a non-admin names a route,
            ``invalid_route`` for a route that does not exist.
    """
    require_owner(user=user, dashboard=dashboard, doing="add widgets to it")
    if route_override_id is not None:
        if not getattr(user, "is_staff", False):
            raise Forbidden("Only an admin can choose the model for a request.")
        if not route_exists(route_id=route_override_id):
            raise ApplicationError(ErrorCode.INVALID_ROUTE, f"There is no model route {route_override_id}.")
    prompt = " ".join(prompt.split())
    problem = text_problem(prompt)
    if problem:
        raise ApplicationError(ErrorCode.INVALID_TEXT, f"The description cannot hold {problem}.")
    if not prompt:
        raise ApplicationError(ErrorCode.EMPTY_PROMPT, "Describe the widget you want, e.g. “total paid amount over the last 30 days”.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ApplicationError(ErrorCode.PROMPT_TOO_LONG, f"Keep the description under {MAX_PROMPT_CHARS} characters.")
    source = default_source()
    with transaction.atomic():
        request = WidgetRequest.objects.create(dashboard=dashboard, user=user, prompt=prompt,
                                               route_override_id=route_override_id, data_source=source,
                                               deadline_at=request_deadline(source=source))
        step_queue(step=WidgetStep(widget_request=request, name=StepName.CLARIFY), send=enqueue)
    return request


def widget_request_answer(
    *, user: AbstractBaseUser, request: WidgetRequest, answers: dict[str, str], enqueue: bool = True
) -> WidgetRequest:
    """Record answers to open questions; once none is left open, queue the pipeline again.

    Raises:
        ApplicationError: ``not_waiting`` when the request is not waiting for answers,
            ``invalid_answer`` when an answer is empty, too long or names no open question.
    """
    not_waiting = ApplicationError(ErrorCode.NOT_WAITING, "This request is not waiting for an answer.")
    if request.status != RequestStatus.NEEDS_CLARIFICATION:
        raise not_waiting
    cleaned = _clean_answers(answers=answers, open_ids={q["id"] for q in request.questions})
    with transaction.atomic():
        locked = (
            WidgetRequest.objects.select_for_update()
            .filter(id=request.id, user=user, status=RequestStatus.NEEDS_CLARIFICATION)
            .first()
        )
        if locked is None:  # another answer won the race
            raise not_waiting
        answered = {a["question"] for a in cleaned}
        locked.answers = [*locked.answers, *cleaned]
        locked.questions = [q for q in locked.questions if q["id"] not in answered]
        if not locked.questions:
            # The clarifier reads the request again with every answer: a new conversation.
            locked.status, locked.deadline_at = RequestStatus.PENDING, request_deadline(source=locked.data_source)
            clarify, _ = WidgetStep.objects.get_or_create(widget_request=locked, name=StepName.CLARIFY)
            WidgetStep.objects.filter(id=clarify.id).update(state=StepState.WAITING, output=None, conversation=[])
            step_queue(step=clarify, send=enqueue)
        locked.save(update_fields=["answers", "questions", "status", "deadline_at", "updated_at"])
    return locked


DISMISSABLE = (RequestStatus.FAILED, RequestStatus.NEEDS_CLARIFICATION, RequestStatus.CANCELLED)


def widget_request_dismiss(*, user: AbstractBaseUser, request: WidgetRequest) -> WidgetRequest:
    """Put a failed, cancelled or still unanswered request away so the dashboard stops showing it. A
    request waiting for an answer stays answerable through the API.

    Raises:
        ApplicationError: ``not_failed`` for a request that is being built or is built.
    """
    updated = WidgetRequest.objects.filter(id=request.id, user=user, status__in=DISMISSABLE).update(dismissed=True)
    if updated != 1:
        raise ApplicationError(ErrorCode.NOT_FAILED,
                               "Only a failed or cancelled request, or one waiting for an answer, can be dismissed.")
    request.dismissed = True
    return request


CANCELLABLE = (RequestStatus.PENDING, RequestStatus.RUNNING, RequestStatus.NEEDS_CLARIFICATION)


def widget_request_cancel(*, user: AbstractBaseUser, request: WidgetRequest) -> WidgetRequest:
    """Stop a request that is queued, being built or waiting for an answer; return it, ``cancelled``.

    A check-and-set on the status, under the row lock the pipeline takes to finish a step: a step that is
    running finishes its work, but no later step is queued or claimed (``steps.step_claim`` takes only
    steps of a live request) and no widget is made (``pipeline.advance`` does nothing for a request that
    is not live). Cancelling a cancelled request again returns it as it is.

    Raises:
        ApplicationError: ``not_cancellable`` when the request is ready or failed already.
    """
    with transaction.atomic():
        lock_request(request.id)
        cancelled = WidgetRequest.objects.filter(id=request.id, user=user, status__in=CANCELLABLE).update(
            status=RequestStatus.CANCELLED, questions=[], updated_at=timezone.now())
    request.refresh_from_db()
    if not cancelled and request.status != RequestStatus.CANCELLED:
        raise ApplicationError(ErrorCode.NOT_CANCELLABLE,
                               f"This request is {request.get_status_display().lower()} already; it cannot be cancelled.")
    return request


def widget_request_retry(*, user: AbstractBaseUser, request: WidgetRequest, enqueue: bool = True) -> WidgetRequest:
    """Resume a failed request from the step that failed, with a fresh budget.

    Steps that succeeded are not run (nor paid for) again. A query that failed because of the statement
    itself sends the SQL step back to the model with the reason, in its stored conversation. A widget
    the failure left without data (its badge said why) is removed: the new run builds it again. LLM
    calls of every run count towards the widget's cost.

    Raises:
        ApplicationError: ``not_failed`` for a request that has not failed.
    """
    with transaction.atomic():
        locked = WidgetRequest.objects.select_for_update().filter(
            id=request.id, user=user, status=RequestStatus.FAILED).first()
        if locked is None:
            raise ApplicationError(ErrorCode.NOT_FAILED, "Only a failed request can be tried again.")
        # The widget this request left without data (not a copy of it, nor the widget a refinement refines) is
        # built again.
        if not locked.is_refinement and Widget.objects.filter(
                id=locked.widget_id, request=locked, result_at__isnull=True).delete()[0]:
            locked.widget = None
        for step in locked.steps.filter(state__in=[StepState.FAILED, StepState.QUEUED]):
            if step.state == StepState.FAILED:
                step_resume(step=step, send=enqueue)
            elif enqueue:
                step_resend(step=step)  # its message found the request failed and did nothing
        if not locked.steps.filter(state__in=[StepState.QUEUED, StepState.RUNNING]).exists():
            step = locked.steps.filter(name=StepName.CLARIFY).first() or WidgetStep.objects.create(
                widget_request=locked, name=StepName.CLARIFY)
            step_queue(step=step, send=enqueue)  # failed before any step ran (e.g. no data source)
        locked.status, locked.error_code, locked.error_message, locked.dismissed = RequestStatus.PENDING, "", "", False
        locked.questions, locked.deadline_at = [], request_deadline(source=locked.data_source)
        locked.save(update_fields=["status", "error_code", "error_message", "dismissed", "questions", "deadline_at",
                                   "updated_at"])
    return locked


def _clean_answers(*, answers: dict[str, str], open_ids: set[str]) -> list[dict[str, str]]:
    if not isinstance(answers, dict) or not answers:
        raise ApplicationError(ErrorCode.INVALID_ANSWER, "Answer at least one question.")
    cleaned = []
    for question_id, text in answers.items():
        if question_id not in open_ids:
            raise ApplicationError(ErrorCode.INVALID_ANSWER, f"There is no open question {question_id!r}.")
        text = " ".join(str(text).split())
        if text_problem(text):
            raise ApplicationError(ErrorCode.INVALID_ANSWER, f"An answer cannot hold {text_problem(text)}.")
        if not text or len(text) > MAX_ANSWER_CHARS:
            raise ApplicationError(ErrorCode.INVALID_ANSWER, f"Each answer needs 1 to {MAX_ANSWER_CHARS} characters.")
        cleaned.append({"question": question_id, "answer": text})
    return cleaned
