# One environment of the venue: network, cluster, PostgreSQL, Kafka, monitoring, one KMS key for all
# of them. One configuration for dev, staging and prod: envs/<env>/terraform.tfvars holds what differs
# and envs/<env>/backend.hcl where its state is (deploy/terraform/tf ENV ... passes both).

data "aws_caller_identity" "this" {}

# A key policy's "*" resource is the key itself.
data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_356:a key policy's resource "*" is this key
  #checkov:skip=CKV_AWS_111:a key policy's resource "*" is this key
  #checkov:skip=CKV_AWS_109:a key policy's resource "*" is this key
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.this.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description         = "venue-${var.environment}: secrets, volumes, logs, database, Kafka"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/venue-${var.environment}"
  target_key_id = aws_kms_key.this.key_id
}

module "vpc" {
  source      = "../modules/vpc"
  name        = "venue-${var.environment}"
  cidr        = var.vpc_cidr
  azs         = var.availability_zones
  kms_key_arn = aws_kms_key.this.arn
}

module "eks" {
  source                = "../modules/eks"
  name                  = "venue-${var.environment}"
  subnet_ids            = module.vpc.private_subnet_ids
  public_access_cidrs   = var.api_access_cidrs
  kms_key_arn           = aws_kms_key.this.arn
  general_nodes         = var.general_nodes
  engine_instance_types = var.engine_instance_types
  engine_nodes          = var.engine_nodes
}

module "rds" {
  source                   = "../modules/rds"
  name                     = "venue-${var.environment}"
  vpc_id                   = module.vpc.vpc_id
  subnet_ids               = module.vpc.private_subnet_ids
  client_security_group_id = module.eks.cluster_security_group_id
  kms_key_arn              = aws_kms_key.this.arn
  instance_class           = var.db_instance_class
  secret_prefix            = "venue/${var.environment}"
}

module "msk" {
  source                   = "../modules/msk"
  name                     = "venue-${var.environment}"
  vpc_id                   = module.vpc.vpc_id
  subnet_ids               = module.vpc.private_subnet_ids
  client_security_group_id = module.eks.cluster_security_group_id
  kms_key_arn              = aws_kms_key.this.arn
  instance_type            = var.kafka_instance_type
  client_broker_encryption = var.kafka_client_encryption
  client_authentication    = var.kafka_client_authentication
  kafka_version            = var.kafka_version
}

module "monitoring" {
  source       = "../modules/monitoring"
  environment  = var.environment
  cluster_name = module.eks.cluster_name
  kms_key_arn  = aws_kms_key.this.arn
}
