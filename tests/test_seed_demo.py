import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command


def snapshot():
    users = get_user_model().objects.order_by("username")
    return [
        (u.username, u.is_staff, u.is_superuser, u.password, sorted(g.name for g in u.groups.all()))
        for u in users
    ], sorted(Group.objects.values_list("name", flat=True))


@pytest.mark.django_db
def test_it_creates_the_cast_and_running_it_twice_changes_nothing(settings, monkeypatch):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    users, groups = first
    assert groups == ["Analysts", "Marketing", "Sales"]
    assert [u[0] for u in users] == ["admin", "analyst", "marketing", "sales", "viewer"]
    assert get_user_model().objects.get(username="admin").is_superuser
    assert get_user_model().objects.get(username="sales").check_password("a-demo-password-1")


@pytest.mark.django_db
def test_it_prints_a_generated_password_once(settings, monkeypatch, capsys):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = ""
    call_command("seed_demo")
    out = capsys.readouterr().out
    password = out.split("Demo password (shown once): ")[1].strip()
    assert get_user_model().objects.get(username="viewer").check_password(password)
    call_command("seed_demo")
    assert "Demo password" not in capsys.readouterr().out


@pytest.mark.django_db
def test_a_lost_demo_password_is_replaced_for_every_demo_user(settings, monkeypatch, capsys):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = ""
    call_command("seed_demo")
    capsys.readouterr()
    call_command("seed_demo", reset_passwords=True)
    out = capsys.readouterr().out
    assert "New password for: admin, analyst, sales, marketing, viewer" in out
    password = out.split("Demo password (shown once): ")[1].strip()
    users = get_user_model().objects.order_by("username")
    assert [user.check_password(password) for user in users] == [True] * 5


@pytest.mark.django_db
def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()
    call_command("seed_demo", "--force")
    assert get_user_model().objects.count() == 5


@pytest.mark.django_db
def test_each_demo_role_sees_a_different_gallery(settings, monkeypatch):
    from dashboards.selectors import dashboard_list_for_user

    settings.DEBUG = True
    settings.DEMO_PASSWORD = "a-demo-password-1"
    call_command("seed_demo")

    def gallery(username):
        user = get_user_model().objects.get(username=username)
        return sorted(d.slug for d in dashboard_list_for_user(user=user))

    assert gallery("sales") == ["funnel", "publicapi", "stocktoday"]
    assert gallery("marketing") == ["abtest", "funnel", "timeseries"]
    assert gallery("analyst") == ["abtest", "funnel", "publicapi", "stocktoday", "timeseries"]
    assert gallery("viewer") == []
