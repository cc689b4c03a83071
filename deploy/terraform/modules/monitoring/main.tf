# Monitoring on AWS: the CloudWatch log group the chart's Fluent Bit configuration ships the
# processes' JSON logs to, an Amazon Managed Service for Prometheus workspace that the cluster's
# Prometheus remote-writes to (its alert rules are deploy/monitoring/rules), an SNS topic for alerts
# that reach AWS, and the IAM roles the log shipper and Prometheus assume through EKS Pod Identity.

resource "aws_cloudwatch_log_group" "venue" {
  name              = "/venue/${var.environment}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_prometheus_workspace" "this" {
  alias = "venue-${var.environment}"
  logging_configuration {
    log_group_arn = "${aws_cloudwatch_log_group.prometheus.arn}:*"
  }
  kms_key_arn = var.kms_key_arn
  tags        = var.tags
}

resource "aws_cloudwatch_log_group" "prometheus" {
  name              = "/venue/${var.environment}/prometheus"
  retention_in_days = 365
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic" "alerts" {
  name              = "venue-${var.environment}-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "log_shipper" {
  name               = "venue-${var.environment}-fluent-bit"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "log_shipper" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.venue.arn}:*"]
  }
}

resource "aws_iam_role_policy" "log_shipper" {
  name   = "ship-venue-logs"
  role   = aws_iam_role.log_shipper.id
  policy = data.aws_iam_policy_document.log_shipper.json
}

resource "aws_eks_pod_identity_association" "log_shipper" {
  cluster_name    = var.cluster_name
  namespace       = var.logging_namespace
  service_account = "fluent-bit"
  role_arn        = aws_iam_role.log_shipper.arn
}

resource "aws_iam_role" "prometheus" {
  name               = "venue-${var.environment}-prometheus"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "prometheus" {
  statement {
    actions   = ["aps:RemoteWrite", "aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"]
    resources = [aws_prometheus_workspace.this.arn]
  }
}

resource "aws_iam_role_policy" "prometheus" {
  name   = "remote-write"
  role   = aws_iam_role.prometheus.id
  policy = data.aws_iam_policy_document.prometheus.json
}

resource "aws_eks_pod_identity_association" "prometheus" {
  cluster_name    = var.cluster_name
  namespace       = var.monitoring_namespace
  service_account = "prometheus"
  role_arn        = aws_iam_role.prometheus.arn
}
