"""Email templates: rendering, validation, the sandbox, and CC/BCC address lists."""

from __future__ import annotations

import pytest

from flo_comms.errors import Invalid
from flo_comms.services.email_render import (
    MAX_SUBJECT_LENGTH,
    SAMPLE_CONTEXT,
    RenderedEmail,
    parse_address_list,
    render_template,
    validate_template,
)


def _refusal(subject: str, body: str) -> Invalid:
    with pytest.raises(Invalid) as caught:
        validate_template(subject, body)
    return caught.value


# --- rendering ----------------------------------------------------------------


def test_render_fills_merge_fields_as_plain_text() -> None:
    rendered = render_template(
        subject="Interview invitation: {{ job_name }}",
        body="Dear {{ candidate_first_name }},\n\nWelcome to {{ firm_name }} & co <b>.",
        context={
            "candidate_first_name": "Diana",
            "job_name": "2027 Summer Associate Program - New York",
            "firm_name": "Hale & Whitmore LLP",
        },
    )

    assert rendered == RenderedEmail(
        subject="Interview invitation: 2027 Summer Associate Program - New York",
        body="Dear Diana,\n\nWelcome to Hale & Whitmore LLP & co <b>.",
    )


def test_render_agency_branch_addresses_the_recruiter() -> None:
    body = (
        "Dear {{ recipient_first_name }},\n"
        "{% if agency_name %}\n"
        "We would like to interview {{ candidate_name }}.\n"
        "{% else %}\n"
        "We would like to interview you.\n"
        "{% endif %}\n"
    )
    agency = render_template(
        subject="s",
        body=body,
        context={
            "recipient_first_name": "Bill",
            "candidate_name": "Diana Allen",
            "agency_name": "Momentum Search Partners",
        },
    )
    direct = render_template(
        subject="s", body=body, context={"recipient_first_name": "Diana", "agency_name": ""}
    )

    assert agency.body == "Dear Bill,\nWe would like to interview Diana Allen."
    assert direct.body == "Dear Diana,\nWe would like to interview you."


def test_known_field_missing_from_context_renders_empty_and_none_prints_nothing() -> None:
    rendered = render_template(
        subject="{{ event_name }}",
        body="Location: {{ event_location }}|{{ time_slot }}|",
        context={"event_name": "Reception", "event_location": None},
    )

    assert rendered.body == "Location: ||"


def test_rendered_subject_is_one_line_and_bounded() -> None:
    rendered = render_template(
        subject="Hello {{ candidate_name }}",
        body="b",
        context={"candidate_name": "Diana\r\nBcc: attacker@evil.example" + "x" * 400},
    )

    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert rendered.subject.startswith("Hello Diana Bcc: attacker@evil.example")
    assert len(rendered.subject) == MAX_SUBJECT_LENGTH


def test_render_refuses_unknown_field() -> None:
    with pytest.raises(Invalid, match="unknown merge field 'nickname'"):
        render_template(subject="s", body="Hi {{ nickname }}", context={"nickname": "Di"})


# --- validation -----------------------------------------------------------------


def test_sample_context_renders_every_documented_field() -> None:
    body = "\n".join(f"{name}: {{{{ {name} }}}}" for name in SAMPLE_CONTEXT)

    validate_template("Subject for {{ candidate_name }}", body)
    rendered = render_template(subject="s", body=body, context=SAMPLE_CONTEXT)

    for name, value in SAMPLE_CONTEXT.items():
        assert f"{name}: {value}" in rendered.body
    assert {"candidate_first_name", "event_name", "registration_link"} <= SAMPLE_CONTEXT.keys()


def test_syntax_error_is_refused_with_field_and_line() -> None:
    error = _refusal("Fine subject", "Dear {{ candidate_first_name }},\n\n{% if status %}\nHello")

    assert str(error).startswith("Body, line")
    assert "syntax error" in str(error)
    assert "body" in error.field_errors


def test_syntax_error_in_subject_names_the_subject() -> None:
    error = _refusal("Invitation {{ job_name ", "Body")

    assert str(error).startswith("Subject, line 1: template syntax error")
    assert set(error.field_errors) == {"subject"}


def test_unknown_field_is_refused_with_line_and_suggestion() -> None:
    error = _refusal("Subject", "Dear {{ candidate_first_name }},\n\nYour {{ candidate_nme }}")

    assert str(error) == (
        "Body, line 3: unknown merge field 'candidate_nme'. Did you mean 'candidate_name'?"
    )


def test_unknown_field_in_a_branch_the_sample_skips_is_still_refused() -> None:
    error = _refusal("Subject", "Hi\n{% if agency_name %}\n{{ agency_phone }}\n{% endif %}")

    assert "unknown merge field 'agency_phone'" in str(error)
    assert "line 3" in str(error)


def test_unknown_filter_is_refused() -> None:
    error = _refusal("Subject", "{{ candidate_name | shout }}")

    assert "No filter named 'shout'" in str(error)


def test_attribute_of_a_field_that_does_not_exist_is_refused() -> None:
    error = _refusal("Subject", "Line one\n{{ candidate_name.middle }}")

    assert str(error).startswith("Body, line 2:")
    assert "no attribute 'middle'" in str(error)


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__ }}",
        "{{ candidate_name.__class__.__mro__ }}",
        "{{ candidate_name.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format(candidate_name) }}",
    ],
)
def test_sandbox_blocks_attribute_tricks(body: str) -> None:
    error = _refusal("Subject", body)
    assert "unsafe" in str(error) or "not allowed" in str(error)

    with pytest.raises(Invalid):
        render_template(subject="s", body=body, context=SAMPLE_CONTEXT)


@pytest.mark.parametrize("name", ["range", "cycler", "lipsum", "namespace", "config"])
def test_no_globals_are_reachable(name: str) -> None:
    error = _refusal("Subject", f"{{{{ {name} }}}}")
    assert f"unknown merge field '{name}'" in str(error)


@pytest.mark.parametrize(
    ("subject", "body", "field", "words"),
    [
        ("", "Body", "subject", "required"),
        ("   ", "Body", "subject", "required"),
        ("Two\nlines", "Body", "subject", "single line"),
        ("x" * 201, "Body", "subject", "at most 200"),
        ("Subject", " \n ", "body", "required"),
        ("Subject", "x" * 20_001, "body", "at most 20000"),
    ],
)
def test_shape_of_subject_and_body(subject: str, body: str, field: str, words: str) -> None:
    error = _refusal(subject, body)
    assert words in str(error)
    assert set(error.field_errors) == {field}


def test_valid_template_passes() -> None:
    validate_template(
        "Interview invitation: {{ job_name }}",
        "Dear {{ recipient_first_name }},\n{% for letter in status %}{{ loop.index }}{% endfor %}"
        "\n{{ candidate_name | upper }}",
    )


# --- address lists --------------------------------------------------------------


def test_parse_address_list_splits_trims_and_drops_repeats() -> None:
    text = (
        " interviews@halewhitmore.example; offers@halewhitmore.example ,,"
        " Interviews@HaleWhitmore.example;"
    )

    assert parse_address_list(text) == [
        "interviews@halewhitmore.example",
        "offers@halewhitmore.example",
    ]


def test_parse_address_list_accepts_named_addresses() -> None:
    assert parse_address_list("Bill Walter <bill.walter@momentumsearch.example>") == [
        "bill.walter@momentumsearch.example"
    ]


@pytest.mark.parametrize("text", ["", "   ", " ; , "])
def test_parse_address_list_empty(text: str) -> None:
    assert parse_address_list(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "not-an-address",
        "ok@firm.example, missing-at.example",
        "bill@localhost",
        "two@@firm.example",
        "a@firm.example\r\nBcc: attacker@evil.example",
        "spaces in@firm.example",
        "x" * 250 + "@firm.example",
    ],
)
def test_parse_address_list_refuses_bad_entries(text: str) -> None:
    with pytest.raises(Invalid, match="is not an email address"):
        parse_address_list(text)


def test_parse_address_list_limits_the_count() -> None:
    text = ", ".join(f"person{n}@firm.example" for n in range(51))

    with pytest.raises(Invalid, match="At most 50 addresses"):
        parse_address_list(text)
