output "cluster_name" {
  description = "EKS cluster name (aws eks update-kubeconfig --name ...)."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "API server endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_security_group_id" {
  description = "Security group EKS gives the nodes and control plane; RDS and MSK let it in."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_issuer" {
  description = "OIDC issuer of the cluster (service-account roles)."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "image_registry" {
  description = "ECR registry prefix of the images: the chart's image.registry."
  value       = trimsuffix(aws_ecr_repository.this["venue"].repository_url, "/venue")
}
