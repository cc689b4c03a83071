# The Kubernetes cluster: a private EKS control plane with secrets encrypted by KMS and every log
# type on, a node group for general work (drop copy, compliance, risk, monitoring) and one for the
# venue's engine: compute-optimised instances whose kubelet runs the static CPU manager policy, so a
# Guaranteed pod with whole CPUs gets exclusive cores to pin its engine threads to. Engine nodes are
# tainted and labelled for the chart's venue.nodeSelector / tolerations. ECR repositories hold the images.

data "aws_iam_policy_document" "cluster_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-eks-cluster"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_eks_cluster" "this" {
  name                      = var.name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = length(var.public_access_cidrs) > 0
    public_access_cidrs     = length(var.public_access_cidrs) > 0 ? var.public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = var.kms_key_arn
    }
  }

  access_config {
    authentication_mode = "API"
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.cluster, aws_cloudwatch_log_group.cluster]
}

resource "aws_eks_addon" "this" {
  for_each     = toset(["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"])
  cluster_name = aws_eks_cluster.this.name
  addon_name   = each.value
  tags         = var.tags
  depends_on   = [aws_eks_node_group.general]
}

# --- nodes ---------------------------------------------------------------------------------------

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${var.name}-eks-node"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
  ])
  role       = aws_iam_role.node.name
  policy_arn = each.value
}

locals {
  # nodeadm (Amazon Linux 2023) merges this into the kubelet's configuration: the static CPU manager
  # gives Guaranteed pods with whole CPUs exclusive cores; CPU 0 stays with the system and kubelet;
  # the topology manager keeps a pod's cores on one NUMA node.
  engine_user_data = <<-EOT
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="BOUNDARY"

    --BOUNDARY
    Content-Type: application/node.eks.aws

    apiVersion: node.eks.aws/v1alpha1
    kind: NodeConfig
    spec:
      kubelet:
        config:
          cpuManagerPolicy: static
          cpuManagerReconcilePeriod: 5s
          reservedSystemCPUs: "${var.engine_reserved_cpus}"
          topologyManagerPolicy: single-numa-node
          memoryManagerPolicy: None
        flags:
          - --node-labels=venue.example/node-role=engine

    --BOUNDARY--
  EOT
}

resource "aws_launch_template" "engine" {
  name_prefix            = "${var.name}-engine-"
  update_default_version = true
  user_data              = base64encode(local.engine_user_data)

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 100
      volume_type = "gp3"
      encrypted   = true
      kms_key_id  = var.kms_key_arn
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-engine" })
  }
  tags = var.tags
}

resource "aws_launch_template" "general" {
  name_prefix            = "${var.name}-general-"
  update_default_version = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 50
      volume_type = "gp3"
      encrypted   = true
      kms_key_id  = var.kms_key_arn
    }
  }
  tags = var.tags
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "general"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  instance_types  = var.general_instance_types

  launch_template {
    id      = aws_launch_template.general.id
    version = aws_launch_template.general.latest_version
  }

  scaling_config {
    desired_size = var.general_nodes
    min_size     = var.general_nodes
    max_size     = var.general_nodes * 2
  }

  update_config {
    max_unavailable = 1
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.node]
}

resource "aws_eks_node_group" "engine" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "engine"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  instance_types  = var.engine_instance_types

  launch_template {
    id      = aws_launch_template.engine.id
    version = aws_launch_template.engine.latest_version
  }

  scaling_config {
    desired_size = var.engine_nodes
    min_size     = var.engine_nodes
    max_size     = var.engine_nodes + 1
  }

  # Replacing an engine node moves the venue: never more than one at a time, and only in a
  # maintenance window (the venue's PodDisruptionBudget stops a drain otherwise).
  update_config {
    max_unavailable = 1
  }

  labels = {
    "venue.example/node-role" = "engine"
  }

  taint {
    key    = "venue.example/engine"
    value  = "true"
    effect = "NO_SCHEDULE"
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy_attachment.node]
}

# --- images --------------------------------------------------------------------------------------

resource "aws_ecr_repository" "this" {
  for_each             = toset(["venue", "dropcopy", "compliance", "risk"])
  name                 = "venue/${each.value}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }
  tags = var.tags
}
