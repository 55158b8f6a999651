ports { http = "x" }
