"""The metric collector's planning and batching (opsctl/collect/metrics.py), without AWS.

A real botocore CloudWatch client answers through the `before-parameter-build`/`before-call`
hooks (what Stubber uses underneath) with a response built from each request, so calls can run
concurrently and the real GetMetricData paginator (NextToken) is exercised.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse
from opsctl.checks import _cost

from opsctl.collect import metrics
from opsctl.collect.runner import CollectContext

ACCOUNT = "123456789012"
REGION = "us-east-1"
END = datetime(2025, 6, 1, tzinfo=timezone.utc)
PARAMS = {
    "ec2.instance_idle": {"idle_days": 14, "idle_cpu_percent": 5},
    "elb.alb_idle": {"idle_days": 7},
    "rds.instance_idle": {"idle_days": 7},
    "dynamodb.table_overprovisioned": {"idle_days": 14, "min_utilization": 0.2},
}


class FakeCloudWatch:
    """Answers GetMetricData from the request: one datapoint per day, value = the query's index.

    `pages` > 1 splits every answer into that many NextToken pages; `fail_when(params)` raises
    a ClientError for the calls it selects; `status` sets a StatusCode per query Id.
    """

    def __init__(self, pages: int = 1, fail_when=None, status: dict[str, str] | None = None):
        self.calls: list[dict[str, Any]] = []
        self.pages = pages
        self.fail_when = fail_when or (lambda params: False)
        self.status = status or {}
        self._lock = threading.Lock()
        self._request = threading.local()
        self.client = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        self.client.meta.events.register("before-parameter-build.cloudwatch.GetMetricData", self._remember)
        self.client.meta.events.register("before-call.cloudwatch.GetMetricData", self._answer)

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        """The API parameters of this thread's call (before-call only sees the serialised request)."""
        self._request.params = dict(params)

    def _answer(self, **_: Any):
        params = self._request.params
        with self._lock:
            self.calls.append(params)
        if self.fail_when(params):
            raise botocore.exceptions.ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "GetMetricData")
        page = int(params.get("NextToken") or 0)
        days = (params["EndTime"] - params["StartTime"]).days
        day_numbers = [d for d in range(days) if d % self.pages == page]
        results = []
        for query in params["MetricDataQueries"]:
            index = float(query["Id"][1:])
            results.append({
                "Id": query["Id"], "Label": query["Id"],
                "Timestamps": [params["StartTime"] + timedelta(days=d) for d in day_numbers],
                "Values": [index] * len(day_numbers),
                "StatusCode": self.status.get(query["Id"], "PartialData" if page + 1 < self.pages else "Complete"),
            })
        body: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
        if page + 1 < self.pages:
            body["NextToken"] = str(page + 1)
        return AWSResponse(None, 200, {}, None), body

    @property
    def query_counts(self) -> list[int]:
        return sorted((len(c["MetricDataQueries"]) for c in self.calls), reverse=True)


class FakeAws:
    def __init__(self, cloudwatch: FakeCloudWatch):
        self.cloudwatch = cloudwatch

    def client(self, service: str, region: str):
        assert service == "cloudwatch" and region == REGION
        return self.cloudwatch.client


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(metrics, "window_end", lambda: END)


def instances(n: int, region: str = REGION, state: str = "running", first: int = 0) -> list[dict[str, Any]]:
    return [{"id": f"i-{k:06d}", "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-{k:06d}", "region": region,
             "state": state} for k in range(first, first + n)]


def collect(cloudwatch: FakeCloudWatch, inventory: dict[str, list[dict[str, Any]]], params=PARAMS):
    ctx = CollectContext(FakeAws(cloudwatch), ACCOUNT, workers=4, check_params=params)
    ctx.inventory = inventory
    try:
        out = metrics.collect_metric_series(ctx, REGION)
    finally:
        ctx.close()
    return out[metrics.SERIES], ctx


def test_1234_queries_take_3_calls_of_at_most_500():
    cw = FakeCloudWatch()
    series, ctx = collect(cw, {"ec2.instance": instances(1234)})
    assert len(cw.calls) == 3 and cw.query_counts == [500, 500, 234]
    assert len(series) == 1234 and ctx.coverage == []
    assert [s["resource_arn"] for s in series] == sorted(s["resource_arn"] for s in series)
    for s in series:
        assert s["arn"] == f"{s['resource_arn']}#cpu_daily_avg" and len(s["values"]) == 14 and "errors" not in s
    first = cw.calls[0]["MetricDataQueries"][0]["MetricStat"]
    assert first["Stat"] == "Average" and first["Period"] == 86400
    assert first["Metric"]["Namespace"] == "AWS/EC2" and first["Metric"]["MetricName"] == "CPUUtilization"
    assert all(c["EndTime"] == END and c["StartTime"] == END - timedelta(days=14) for c in cw.calls)


def test_each_series_gets_its_own_query_answer():
    cw = FakeCloudWatch()
    series, _ = collect(cw, {"ec2.instance": instances(501)})
    # the fake answers with the query index within its call: 0..499 for the first call, 0 for the second
    assert [s["values"][0] for s in series[:3]] == [0.0, 1.0, 2.0]
    assert series[499]["values"][0] == 499.0 and series[500]["values"][0] == 0.0


def test_next_token_pages_are_followed_and_merged():
    cw = FakeCloudWatch(pages=2)
    series, _ = collect(cw, {"ec2.instance": instances(3)})
    assert len(cw.calls) == 2 and cw.calls[1]["NextToken"] == "1"
    assert all(len(s["values"]) == 14 and len(s["timestamps"]) == 14 for s in series)
    assert series[0]["timestamps"] == sorted(series[0]["timestamps"])


def test_a_failed_call_marks_only_its_batch_as_errors():
    def second_batch(params):
        return params["MetricDataQueries"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == "i-000500"

    cw = FakeCloudWatch(fail_when=second_batch)
    series, ctx = collect(cw, {"ec2.instance": instances(1234)})
    failed = [s for s in series if s.get("errors")]
    assert len(failed) == 500 and {s["resource_arn"].rsplit("/", 1)[1] for s in failed} == {f"i-{k:06d}" for k in range(500, 1000)}
    assert all("values" not in s and "Throttling" in s["errors"]["values"] for s in failed)
    assert len([s for s in series if "values" in s]) == 734
    [gap] = ctx.coverage
    assert gap.operation == "GetMetricData" and gap.resource_type == metrics.SERIES and gap.resource_id.startswith("batch ")


def test_a_query_answered_with_an_error_status_is_an_error():
    cw = FakeCloudWatch(status={"q1": "Forbidden"})
    series, _ = collect(cw, {"ec2.instance": instances(3)})
    assert "Forbidden" in series[1]["errors"]["values"] and "values" in series[0] and "values" in series[2]


def test_scope_windows_and_dimensions():
    lb_arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/shop-alb/50dc6c495c0c9188"
    inventory = {
        "ec2.instance": instances(2) + instances(1, state="stopped", first=2) + instances(1, region="eu-west-1", first=3),
        "elbv2.load_balancer": [{"name": "shop-alb", "arn": lb_arn, "region": REGION}],
        "rds.db_instance": [{"id": "orders", "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders", "region": REGION}],
        "dynamodb.table": [
            {"name": name, "arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}", "region": REGION, "billing_mode": mode}
            for name, mode in (("carts", "PROVISIONED"), ("catalogue", "PAY_PER_REQUEST"))
        ],
    }
    cw = FakeCloudWatch()
    series, _ = collect(cw, inventory)
    keys = sorted((s["resource_arn"].split(f"{ACCOUNT}:", 1)[1], s["metric_key"]) for s in series)
    assert keys == sorted([
        ("instance/i-000000", "cpu_daily_avg"), ("instance/i-000001", "cpu_daily_avg"),
        ("loadbalancer/app/shop-alb/50dc6c495c0c9188", "requests_daily_sum"), ("db:orders", "connections_daily_max"),
        ("table/carts", "consumed_read_daily_sum"), ("table/carts", "consumed_write_daily_sum"),
    ])
    assert len(cw.calls) == 2  # one call per window: 14 days (EC2, DynamoDB) and 7 days (ALB, RDS)
    by_key = {s["metric_key"]: s for s in series}
    assert by_key["requests_daily_sum"]["dimensions"] == {"LoadBalancer": "app/shop-alb/50dc6c495c0c9188"}
    assert by_key["requests_daily_sum"]["stat"] == "Sum" and len(by_key["requests_daily_sum"]["values"]) == 7
    assert by_key["connections_daily_max"]["stat"] == "Maximum"
    assert by_key["connections_daily_max"]["start"] == (END - timedelta(days=7)).isoformat()
    assert by_key["consumed_write_daily_sum"]["metric_name"] == "ConsumedWriteCapacityUnits"


def test_configured_window_is_used():
    cw = FakeCloudWatch()
    params = {**PARAMS, "ec2.instance_idle": {"idle_days": 30, "idle_cpu_percent": 5}}
    series, _ = collect(cw, {"ec2.instance": instances(1)}, params)
    assert cw.calls[0]["StartTime"] == END - timedelta(days=30) and len(series[0]["values"]) == 30


def test_without_check_params_the_defaults_apply():
    cw = FakeCloudWatch()
    collect(cw, {"ec2.instance": instances(1)}, params={})
    assert cw.calls[0]["StartTime"] == END - timedelta(days=14)


def test_no_resources_no_call():
    cw = FakeCloudWatch()
    series, _ = collect(cw, {})
    assert series == [] and cw.calls == []


def test_metric_keys_agree_with_the_checks():
    assert {m.metric_key for m in metrics.METRICS} == {
        _cost.CPU_DAILY_AVG, _cost.REQUESTS_DAILY_SUM, _cost.CONNECTIONS_DAILY_MAX,
        _cost.CONSUMED_READ_DAILY_SUM, _cost.CONSUMED_WRITE_DAILY_SUM,
    }
    assert metrics.SERIES == _cost.SERIES


def test_alb_dimension_from_arn():
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-lb/0123456789abcdef"
    assert metrics.alb_dimension({"arn": arn}) == "app/my-lb/0123456789abcdef"
    assert metrics.alb_dimension({"arn": arn.replace("/app/", "/net/")}) is None
