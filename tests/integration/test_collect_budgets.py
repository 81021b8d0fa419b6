"""Budgets collector against moto: budget fields and notifications. moto lacks
DescribeSubscribersForNotification: that is a recorded gap."""

from __future__ import annotations

import boto3
import botocore.exceptions

BUDGET = "budgets.budget"
ACCOUNT = "123456789012"


def test_budget_fields(collect_services):
    budgets = boto3.client("budgets", region_name="us-east-1")
    budgets.create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": "shop-monthly",
            "BudgetLimit": {"Amount": "2500", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        NotificationsWithSubscribers=[
            {
                "Notification": {
                    "NotificationType": "FORECASTED",
                    "ComparisonOperator": "GREATER_THAN",
                    "Threshold": 90,
                    "ThresholdType": "PERCENTAGE",
                },
                "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "finops@example.com"}],
            }
        ],
    )
    budgets.create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": "silent",
            "BudgetLimit": {"Amount": "10", "Unit": "USD"},
            "TimeUnit": "DAILY",
            "BudgetType": "USAGE",
        },
    )

    snap = collect_services(["budgets"])

    assert snap.collected[BUDGET] == ["global"]
    found = {b["name"]: b for b in snap.of_type(BUDGET)}
    b = found["shop-monthly"]
    assert b["arn"] == f"arn:aws:budgets::{ACCOUNT}:budget/shop-monthly" and b["region"] == "global"
    assert (b["budget_type"], b["limit_amount"], b["limit_unit"], b["time_unit"]) == (
        "COST",
        2500.0,
        "USD",
        "MONTHLY",
    )
    (n,) = b["notifications"]
    assert (n["type"], n["comparison"], n["threshold"], n["threshold_type"]) == (
        "FORECASTED",
        "GREATER_THAN",
        90.0,
        "PERCENTAGE",
    )
    # moto does not implement DescribeSubscribersForNotification: the count is unknown and says why
    assert n["subscriber_count"] is None and "NotImplemented" in b["errors"]["subscriber_count"]
    assert found["silent"]["notifications"] == [] and found["silent"]["time_unit"] == "DAILY"
    assert {g.operation for g in snap.coverage} == {"DescribeSubscribersForNotification"}
    assert all(g.resource_id for g in snap.coverage)  # detail gaps only: the listing is complete


def test_no_budgets_answer_is_data_not_a_gap(collect_services, moto_aws):
    def none_exist(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "NotFoundException", "Message": "no budgets"}}, "DescribeBudgets"
        )

    moto_aws.session.events.register("before-call.budgets.DescribeBudgets", none_exist)

    snap = collect_services(["budgets"])

    assert snap.collected[BUDGET] == ["global"] and snap.of_type(BUDGET) == [] and not snap.coverage


def test_denied_listing_is_a_gap(collect_services, moto_aws):
    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeBudgets"
        )

    moto_aws.session.events.register("before-call.budgets.DescribeBudgets", refuse)

    snap = collect_services(["budgets"])

    assert "global" not in snap.collected.get(BUDGET, [])
    (gap,) = snap.listing_gaps(BUDGET)
    assert (gap.operation, gap.error_code) == ("DescribeBudgets", "AccessDeniedException")
