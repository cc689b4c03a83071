output "vpc_id" {
  description = "The VPC's id."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "The VPC's address range (the chart's networkPolicy.egressCidrs)."
  value       = aws_vpc.this.cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets: nodes, RDS, MSK."
  value       = aws_subnet.private[*].id
}

output "public_subnet_ids" {
  description = "Public subnets: internet-facing load balancers, NAT gateways."
  value       = aws_subnet.public[*].id
}

output "nat_public_ips" {
  description = "Addresses the venue's outbound traffic comes from."
  value       = aws_eip.nat[*].public_ip
}
