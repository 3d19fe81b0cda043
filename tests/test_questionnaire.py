"""The questionnaire: validators say what is wrong, no trust is needed, no secret is stored."""

from __future__ import annotations

import ast
import re
import runpy
import subprocess
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import copier
import pytest
import yaml
from entsoe.mappings import lookup_area
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from conftest import BIN, COPIER_YML, QUESTIONS, TEMPLATE_ROOT, render

# The bidding zones of the market, label -> EIC code: bidding_zones offers them, and `all`.
MARKET: dict[str, str] = QUESTIONS["market_zones"]["default"]

# question -> (bad answer, extra answers it needs, what the error must say)
BAD_ANSWERS: list[tuple[str, Any, dict[str, Any], str]] = [
    ("project_name", "   ", {}, "The project name must not be empty."),
    ("project_slug", "Bad Slug", {}, "The slug must start with a letter"),
    ("project_slug", "a" * 41, {}, "at most 40 characters"),
    ("package_name", "1grid", {}, "must be a lowercase Python identifier"),
    ("package_name", "pandas", {}, "would shadow another module"),
    ("description", "", {}, "The description must not be empty."),
    ("author_name", " ", {}, "The author name must not be empty."),
    ("author_email", "nobody", {}, "'nobody' is not an email address."),
    ("github_repository", "just-a-name", {}, "must be 'owner/name'"),
    ("aws_region", "eu-mars-1", {}, "'eu-mars-1' is not an AWS region code"),
    ("prefect_workspace", "Acct/WS", {}, "must be 'account-handle/workspace-handle'"),
    ("work_pool_name", "Pool_1", {}, "The work pool name must be lowercase"),
    ("ecs_cpu", 300, {}, "Invalid choice"),
    ("ecs_memory", 999, {"ecs_cpu": 1024}, "Fargate does not run 1024 CPU units with 999 MiB"),
    ("ecs_memory", 4096, {"ecs_cpu": 256}, "valid memory values: 512, 1024, 2048"),
    ("github_aws_auth", "password", {}, "Invalid choice"),
    ("push_endpoint", "ses", {}, "Invalid choice"),
    (
        "push_endpoint",
        "aws",
        {"aws_region": "eu-central-2"},
        "Lambda Function URLs do not exist in eu-central-2: answer prefect_webhook",
    ),
    ("pulumi_backend", "local", {}, "Invalid choice"),
    ("pulumi_state_bucket", "Bad_Bucket", {"pulumi_backend": "s3"}, "not a valid S3 bucket"),
    ("pulumi_organization", "my org", {}, "The Pulumi organization may hold only"),
    ("pulumi_stack", "prod stack", {}, "The stack name may hold only"),
    ("document_types", [], {}, "Choose at least one document type."),
    ("document_types", ["A11"], {}, "Invalid choice"),
    ("bidding_zones", [], {}, "Choose at least one bidding zone."),
    ("bidding_zones", ["10YXX"], {}, "Invalid choice"),
    ("pull_time", "6:30", {"pull_schedule": True}, "The pull time must be HH:MM"),
    ("pull_time", "24:00", {"pull_schedule": True}, "on a 24-hour clock, for example 18:30"),
    ("pull_time", "18:30 CET", {"pull_schedule": True}, "(got '18:30 CET')"),
    ("pull_timezone", "CET+1", {"pull_schedule": True}, "must be an IANA name such as"),
    ("pull_timezone", "europe/brussels", {"pull_schedule": True}, "(got 'europe/brussels')"),
    ("pull_timezone", "Europe/Brussels ", {"pull_schedule": True}, "Europe/Brussels or UTC"),
    ("newsletter_recipients", ["ok@example.com", "nope"], {}, "'nope' is not an email address."),
    (
        "newsletter_recipients",
        "a@example.com, b@example.com",  # what one types at the prompt without YAML's [ ]
        {},
        "is not one email address; give several as a YAML list in [ ], like [a@example.org, b@",
    ),
    ("newsletter_recipients", {"to": "a@example.com"}, {}, "or a YAML list in [ ], like [a@"),
    ("newsletter_recipients", [], {}, "Give at least one recipient, like [a@example.org]."),
    ("alert_recipients", ["ops@example.com", "nope"], {}, "'nope' is not an email address."),
    ("alert_recipients", [], {}, "Give at least one alert recipient, like [a@example.org]."),
    ("alert_recipients", "a@example.com, b@example.com", {}, "is not one email address; give"),
    ("push_deadline", "7pm", {}, "The push deadline must be HH:MM on a 24-hour clock"),
    ("push_deadline", "24:00", {}, "(Europe/Brussels), for example 19:00, or off (got '24:00')"),
    ("newsletter_mode", "weekly", {}, "Invalid choice"),
    ("digest_time", "7:00", {"newsletter_mode": "digest"}, "The digest time must be HH:MM"),
    ("digest_time", "07:00 CET", {"newsletter_mode": "both"}, "(Europe/Brussels), for example"),
    ("sender_address", "me@localhost", {}, "'me@localhost' is not an email address: give one like"),
    (
        "sender_address",
        '"Desk, Energy" <desk@example.org>',
        {},
        "desk@example.org or ENTSO-E Desk <desk@example.org> (a name without quotes, commas or @)",
    ),
    ("smtp_host", "bad host", {}, "'bad host' is not a host name."),
    ("smtp_security", "tls1.0", {}, "Invalid choice"),
    ("smtp_port", 70000, {}, "The SMTP port must be between 1 and 65535"),
    ("python_version", "2.7", {}, "Invalid choice"),
]


@pytest.mark.parametrize(
    ("question", "bad", "extra", "message"),
    BAD_ANSWERS,
    ids=[f"{q}-{i}" for i, (q, *_) in enumerate(BAD_ANSWERS)],
)
def test_bad_answer_is_rejected_with_its_message(
    copier_template: Path, tmp_path: Path, question: str, bad: Any, extra: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render(copier_template, tmp_path / "out", **{**extra, question: bad})
    assert not (tmp_path / "out" / "pyproject.toml").exists()


def test_every_validated_or_choice_question_has_a_bad_answer_test() -> None:
    checked = {question for question, *_ in BAD_ANSWERS}
    asked = {
        name
        for name, spec in QUESTIONS.items()
        if ("validator" in spec or "choices" in spec) and spec.get("when") is not False
    }
    assert asked - checked == set()


def test_every_question_has_type_help_and_default() -> None:
    for name, spec in QUESTIONS.items():
        assert {"type", "default"} <= set(spec), name
        if spec.get("when") is not False:
            assert spec.get("help"), name


def test_no_feature_that_needs_trust() -> None:
    assert not {"_tasks", "_migrations", "_jinja_extensions", "_external_data"} & set(COPIER_YML)


def test_copier_cli_copies_defaults_without_trust(copier_template: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "copier"), "copy", "--defaults", "--vcs-ref", "HEAD", str(copier_template), "p"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = yaml.safe_load((tmp_path / "p" / ".copier-answers.yml").read_text())
    assert answers["package_name"] == "entsoe_newsletter"
    assert answers["bidding_zones"] == ["10Y1001A1001A82H"]
    assert answers["document_types"] == ["A69"]


def test_no_secret_lands_in_the_rendered_project(
    copier_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "SMTP_PASSWORD": "smtp-secret-4b1d",
        "PREFECT_API_KEY": "pnu_secret_9f3e",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-77c2",
        "ENTSOE_API_KEY": "entsoe-secret-0a9b",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    # Even when someone passes a secret as data, it is not a question, so it is not stored.
    project = render(copier_template, tmp_path / "p", smtp_password=secrets["SMTP_PASSWORD"])
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    stored = {key for key in answers if not key.startswith("_")}
    assert stored <= set(QUESTIONS)
    assert not any(re.search("password|token|secret|api_key", key) for key in stored)
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text(errors="replace")
            for value in secrets.values():
                assert value not in text, f"{value} landed in {path}"


def test_derived_values_are_not_asked_nor_stored(rendered) -> None:
    derived = {name for name, spec in QUESTIONS.items() if spec.get("when") is False}
    assert derived, "expected computed values such as webhook_resource_id"
    answers = yaml.safe_load((rendered("defaults") / ".copier-answers.yml").read_text())
    assert not derived & set(answers)


def test_region_list_matches_botocore_ecs_regions() -> None:
    validator = QUESTIONS["aws_region"]["validator"]
    offered = set(re.findall(r"'([a-z]{2}-[a-z]+-\d)'", validator))
    assert offered == set(boto3.session.Session().get_available_regions("ecs"))


def test_regions_without_function_urls_default_to_the_prefect_webhook(
    copier_template: Path, tmp_path: Path
) -> None:
    without = render(copier_template, tmp_path / "zurich", aws_region="eu-central-2")
    with_urls = render(copier_template, tmp_path / "frankfurt", aws_region="eu-central-1")
    endpoint = {
        project.name: yaml.safe_load((project / ".copier-answers.yml").read_text())["push_endpoint"]
        for project in (without, with_urls)
    }
    assert endpoint == {"zurich": "prefect_webhook", "frankfurt": "aws"}
    assert not (without / "infra" / "receiver.py").exists()


def test_regions_without_function_urls_are_ecs_regions() -> None:
    listed = set(
        re.findall(r"'([a-z]{2}-[a-z]+-\d)'", QUESTIONS["function_urls_in_region"]["default"])
    )
    assert len(listed) == 11
    assert listed <= set(boto3.session.Session().get_available_regions("ecs"))


def test_bidding_zones_are_entsoe_areas() -> None:
    """The rendered package names a zone and finds its time zone through entsoe-py's Area."""
    for label, eic in MARKET.items():
        area = lookup_area(eic)  # the first Area of that code, as the package finds it
        assert area.value == eic, label
        assert "BZ" in area.meaning, f"{label}: {area.meaning} is not a bidding zone"
        # The label's code is the short name the newsletter gives (SE1 ~ SE-1, IT-NORD).
        assert label.split()[0].replace("-", "") == area.name.replace("_", ""), label
        ZoneInfo(area.tz)


def test_the_zone_table_holds_every_zone_the_questionnaire_offers() -> None:
    table = (TEMPLATE_ROOT / "template/src/{{ package_name }}/core/zones.py").read_text()
    for label, eic in MARKET.items():
        name = label.partition(" ")[2]
        assert f'"{eic}": Zone(' in table, label
        assert f'"{name}"' in table, label


def test_bidding_zones_include_every_zone_of_the_nordic_and_italian_markets() -> None:
    offered = {lookup_area(eic).name for eic in MARKET.values()}
    assert {"SE_1", "SE_2", "SE_3", "SE_4", "NO_1", "NO_2", "NO_3", "NO_4", "NO_5"} <= offered
    assert {"DK_1", "DK_2", "FI", "EE", "LV", "LT"} <= offered
    assert {"IT_NORD", "IT_CNOR", "IT_CSUD", "IT_SUD", "IT_CALA", "IT_SICI", "IT_SARD"} <= offered


def test_finnish_desk_can_choose_its_neighbours(copier_template: Path, tmp_path: Path) -> None:
    zones = ["10YFI-1--------U", "10Y1001A1001A44P", "10YNO-4--------9", "10Y1001A1001A39I"]
    project = render(copier_template, tmp_path / "p", bidding_zones=zones)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert set(answers["bidding_zones"]) == set(zones)  # stored in the questionnaire's order
    settings = (project / "src" / answers["package_name"] / "settings.py").read_text()
    assert all(f'"{zone}"' in settings for zone in zones)


def test_bidding_zones_offer_the_market_and_all_last() -> None:
    choices = QUESTIONS["bidding_zones"]["choices"]
    assert len(MARKET) == 49
    assert choices == {**MARKET, "ALL every bidding zone of the market": "all"}
    assert list(choices.values())[-1] == "all"  # Up from the first zone reaches it


def rendered_zones(project: Path) -> tuple[list[str], list[str]]:
    """(the answer stored, the EIC codes settings.py lists)."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    settings = runpy.run_path(str(project / "src" / answers["package_name"] / "settings.py"))
    return answers["bidding_zones"], settings["BIDDING_ZONES"]


@pytest.mark.parametrize(
    "chosen", [["all"], ["10YFI-1--------U", "all"]], ids=["all", "all-wins-over-fi"]
)
def test_all_is_stored_as_all_and_renders_every_zone(
    copier_template: Path, tmp_path: Path, chosen: list[str]
) -> None:
    project = render(copier_template, tmp_path / "p", bidding_zones=chosen)
    # Stored as chosen: a zone a later template offers comes with `copier update`.
    assert rendered_zones(project) == (chosen, list(MARKET.values()))
    # The docs' example push is for a zone, never for `all`.
    readme = (project / "README.md").read_text()
    assert "area='10YAL-KESH-----5'" in readme and "area='all'" not in readme


def test_all_chosen_at_the_prompt_renders_every_zone(
    copier_template: Path, tmp_path: Path, rendered
) -> None:
    # Every other question answered as data: only the zones are asked.
    answers = yaml.safe_load((rendered("defaults") / ".copier-answers.yml").read_text())
    data = {k: v for k, v in answers.items() if not k.startswith("_") and k != "bidding_zones"}
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        keys.send_text("\x1b[A \r")  # Up from DE-LU (ticked by default) to ALL, tick, accept
        keys.close()  # a prompt left waiting fails instead of hanging
        copier.run_copy(str(copier_template), tmp_path / "p", data=data, vcs_ref="HEAD")
    zones = rendered_zones(tmp_path / "p")
    assert zones == (["10Y1001A1001A82H", "all"], list(MARKET.values()))


def test_a_bare_all_is_not_a_list_to_copier(copier_template: Path, tmp_path: Path) -> None:
    """Copier parses a multiselect answer given as a string as a YAML list, before any validator:
    `-d bidding_zones=all` stops there (docs/questions.md says to give `[all]`)."""
    with pytest.raises(TypeError, match=re.escape("Not a YAML list: 'all'")):
        render(copier_template, tmp_path / "p", bidding_zones="all")


def test_strict_undefined_fails_a_misspelt_variable(copier_template: Path, tmp_path: Path) -> None:
    broken = copier_template.parent / "broken-template"
    subprocess.run(["cp", "-r", str(copier_template), str(broken)], check=True)
    (broken / "template" / "typo.txt.jinja").write_text("{{ projcet_name }}\n")
    subprocess.run(["git", "add", "-A"], cwd=broken, check=True)
    subprocess.run(["git", "commit", "-qm", "typo"], cwd=broken, check=True)
    with pytest.raises(Exception, match="projcet_name"):
        render(broken, tmp_path / "p")


@pytest.mark.parametrize(
    "name",
    [
        "Nordic Balancing And Day Ahead Market Watch For Traders 2027",  # 60 characters
        "Ærø Øst Énergie: « prévisions » du réseau électrique du Nord",
        "\"Quoted\" \\ backslash 'n' friends",
    ],
)
def test_derived_defaults_satisfy_their_validators(
    copier_template: Path, tmp_path: Path, name: str
) -> None:
    assert len(name) <= 60
    project = render(copier_template, tmp_path / "p", project_name=name)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    slug = answers["project_slug"]
    assert 0 < len(slug) <= 40 and not slug.endswith("-"), slug
    assert answers["package_name"] == slug.replace("-", "_")
    assert name in (project / "README.md").read_text()  # as typed, not escaped


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Suomen sähkökatsaus", "suomen-sahkokatsaus"),
        ("Strompreise für Köln und Gießen", "strompreise-fur-koln-und-giessen"),
        ("Prognoza wiatru: Łódź, Gdańsk", "prognoza-wiatru-lodz-gdansk"),
        ("Kraftpris i Tromsø og Ærøskøbing", "kraftpris-i-tromso-og-aeroskobing"),
        ("Prévisions éoliennes de l'Hérault", "previsions-eoliennes-de-l-herault"),
    ],
)
def test_derived_slug_spells_accented_letters_plainly(
    copier_template: Path, tmp_path: Path, name: str, slug: str
) -> None:
    project = render(copier_template, tmp_path / "p", project_name=name)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == (slug, slug.replace("-", "_"))


def test_one_bare_recipient_and_a_named_sender_are_taken(
    copier_template: Path, tmp_path: Path
) -> None:
    project = render(
        copier_template,
        tmp_path / "p",
        newsletter_recipients="desk@example.org",  # typed at the prompt without [ ]
        sender_address="ENTSO-E Desk <desk@example.org>",
    )
    settings = runpy.run_path(str(project / "src" / "entsoe_newsletter" / "settings.py"))
    assert settings["RECIPIENTS"] == ["desk@example.org"]
    assert settings["SENDER"] == "ENTSO-E Desk <desk@example.org>"


@pytest.mark.parametrize(
    ("types", "deadline"),
    [
        (["A65"], "11:00"),
        (["A44"], "14:00"),
        (["A75"], "02:00"),
        (["A65", "A44"], "14:00"),
        (["A44", "A69"], "19:00"),
        (["A75", "A71"], "19:00"),
    ],
)
def test_the_push_deadline_defaults_to_an_hour_after_the_latest_chosen_type(
    copier_template: Path, tmp_path: Path, types: list[str], deadline: str
) -> None:
    """An hour after the publication times the rendered core/deadline.py names, per type."""
    project = render(copier_template, tmp_path / "p", document_types=types)
    settings = runpy.run_path(str(project / "src" / "entsoe_newsletter" / "settings.py"))
    assert settings["PUSH_DEADLINE"] == deadline
    source = (project / "src" / "entsoe_newsletter" / "core" / "deadline.py").read_text()
    [table] = [
        node.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "PUBLISHED_BY"
    ]
    published = ast.literal_eval(table)
    hour_after = max(f"{int(published[t][:2]) + 1:02d}{published[t][2:]}" for t in types)
    assert deadline == hour_after


def test_alert_recipients_default_to_the_author_and_take_one_bare_address(
    copier_template: Path, tmp_path: Path
) -> None:
    default = render(copier_template, tmp_path / "a", author_email="lead@example.org")
    settings = runpy.run_path(str(default / "src" / "entsoe_newsletter" / "settings.py"))
    assert settings["ALERT_RECIPIENTS"] == ["lead@example.org"]
    assert settings["ALERT_RECIPIENTS"] != settings["RECIPIENTS"]
    bare = render(copier_template, tmp_path / "b", alert_recipients="oncall@example.org")
    settings = runpy.run_path(str(bare / "src" / "entsoe_newsletter" / "settings.py"))
    assert settings["ALERT_RECIPIENTS"] == ["oncall@example.org"]


def test_the_digest_time_is_asked_and_stored_only_with_a_digest(
    copier_template: Path, tmp_path: Path
) -> None:
    """newsletter_mode each (the default) mails no digest: its time is neither asked nor
    stored; digest or both stores it, and the rendered schedule runs at it."""
    each = render(copier_template, tmp_path / "each")
    recorded = yaml.safe_load((each / ".copier-answers.yml").read_text())
    assert recorded["newsletter_mode"] == "each" and "digest_time" not in recorded
    for mode in ("digest", "both"):
        project = render(
            copier_template, tmp_path / mode, newsletter_mode=mode, digest_time="06:05"
        )
        recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
        assert (recorded["newsletter_mode"], recorded["digest_time"]) == (mode, "06:05")
        settings = runpy.run_path(str(project / "src" / "entsoe_newsletter" / "settings.py"))
        assert (settings["NEWSLETTER_MODE"], settings["DIGEST_CRON"]) == (mode, "5 6 * * *")
