"""Who may use the product: staff accounts and API tokens."""

from __future__ import annotations

import argparse

from reception.cli.common import run_action, with_session


def cmd_user_create(args: argparse.Namespace) -> None:
    import getpass

    from reception.auth.actions import create_user
    from reception.auth.passwords import MIN_PASSWORD_LENGTH

    prompt = f"password ({MIN_PASSWORD_LENGTH}+ characters): "
    password = args.password or getpass.getpass(prompt)
    user = with_session(
        lambda s: create_user(
            s,
            username=args.username,
            password=password,
            role=args.role,
            branch_slug=args.branch,
            hall_slugs=tuple(args.hall or ()),
            full_name=args.name or "",
            department_slug=args.department,
            actor="cli",
        )
    )
    print(f"user {user.username} created with role {user.role}")


def cmd_user_active(args: argparse.Namespace) -> None:
    from reception.auth.actions import set_user_active

    active = args.action == "enable"
    user = run_action(
        lambda s: set_user_active(s, username=args.username, active=active, actor="cli")
    )
    print(f"user {user.username} {'enabled' if user.active else 'disabled'}")


def cmd_token_create(args: argparse.Namespace) -> None:
    from reception.auth.actions import create_token

    _, clear = with_session(
        lambda s: create_token(
            s,
            name=args.name,
            role=args.role,
            branch_slug=args.branch,
            hall_slug=args.hall,
            department_slug=args.department,
            actor="cli",
        )
    )
    print(f"token for {args.name} ({args.role}); it is shown only once:")
    print(clear)


def cmd_token_list(args: argparse.Namespace) -> None:
    from reception.auth.actions import list_tokens

    for token in with_session(list_tokens):
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        print(f"{token.id:5}  {token.role:18} {token.name:30} {state}")


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from reception.auth.actions import revoke_token

    token = run_action(lambda s: revoke_token(s, token_id=args.id, actor="cli"))
    print(f"token {token.id} ({token.name}) revoked")
