"""`opsctl alarms plan|apply`: create the CloudWatch alarms cloudwatch.alarm_coverage finds missing.

- settings.py  the `alarms:` config section and the default alarm settings (pure)
- plan.py      desired alarms from a snapshot's coverage, compared with the current ones (pure)
- cloudwatch.py  the AWS edge: DescribeAlarms / ListTagsForResource / PutMetricAlarm
- workflow.py  collect → read → plan → apply, and the sandbox demo's step (`demo`)
"""
