# an agent in HCL
datacenter = "dc1"
data_dir   = "/opt/consul"   // comment
server     = true
bootstrap_expect = 3
retry_join = ["10.0.0.1", "10.0.0.2",]
ports {
  http = 8500
  grpc = 8502
}
acl {
  enabled = true
  tokens { agent = "x" }
}
/* block
   comment */
service {
  name = "web"
  port = 80
  check { http = "http://localhost/" interval = "10s" }
}
service { name = "db" }
script = <<-EOT
    echo hi
    EOT
