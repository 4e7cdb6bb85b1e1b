# Every resource of docs/terraform.md, deployed against an Ovis server by
# tests/integration/test_terraform.py (apply, plan with no changes, a code change in place,
# destroy). The provider block is the one README's "Terraform" section documents.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "prefix" {
  type = string
}

variable "function_zip" {
  type = string
}

variable "layer_zip" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    lambda     = var.endpoint
    iam        = var.endpoint
    sts        = var.endpoint
    s3         = var.endpoint
    sqs        = var.endpoint
    sns        = var.endpoint
    events     = var.endpoint
    scheduler  = var.endpoint
    kinesis    = var.endpoint
    logs       = var.endpoint
    cloudwatch = var.endpoint
  }
}

# ---- IAM

resource "aws_iam_role" "fn" {
  name = "${var.prefix}-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = { app = var.prefix }
}

resource "aws_iam_policy" "logs" {
  name = "${var.prefix}-logs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.fn.name
  policy_arn = aws_iam_policy.logs.arn
}

resource "aws_iam_role_policy" "queues" {
  name = "queues"
  role = aws_iam_role.fn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"]
      Resource = "*"
    }]
  })
}

# ---- Lambda

resource "aws_cloudwatch_log_group" "fn" {
  name              = "/aws/lambda/${var.prefix}-fn"
  retention_in_days = 7
  tags              = { app = var.prefix }
}

resource "aws_lambda_layer_version" "lib" {
  layer_name          = "${var.prefix}-lib"
  filename            = var.layer_zip
  source_code_hash    = filebase64sha256(var.layer_zip)
  compatible_runtimes = ["python3.11"]
}

resource "aws_lambda_function" "fn" {
  function_name    = "${var.prefix}-fn"
  role             = aws_iam_role.fn.arn
  handler          = "app.handler"
  runtime          = "python3.11"
  filename         = var.function_zip
  source_code_hash = filebase64sha256(var.function_zip)
  publish          = true
  timeout          = 10
  layers           = [aws_lambda_layer_version.lib.arn]
  environment {
    variables = { STAGE = "test" }
  }
  tags       = { app = var.prefix }
  depends_on = [aws_cloudwatch_log_group.fn, aws_iam_role_policy_attachment.logs]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.fn.function_name
  function_version = aws_lambda_function.fn.version
}

resource "aws_lambda_function_url" "url" {
  function_name      = aws_lambda_function.fn.function_name
  authorization_type = "NONE"
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  function_name                     = aws_lambda_function.fn.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = 1
}

resource "aws_sqs_queue" "dlq" {
  name = "${var.prefix}-dlq"
}

resource "aws_sqs_queue" "in" {
  name                       = "${var.prefix}-in"
  visibility_timeout_seconds = 60
  tags                       = { app = var.prefix }
}

resource "aws_lambda_event_source_mapping" "in" {
  event_source_arn = aws_sqs_queue.in.arn
  function_name    = aws_lambda_function.fn.arn
  batch_size       = 5
}

resource "aws_lambda_function_event_invoke_config" "fn" {
  function_name          = aws_lambda_function.fn.function_name
  maximum_retry_attempts = 0
  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}

# ---- SNS

resource "aws_sns_topic" "events" {
  name = "${var.prefix}-events"
  tags = { app = var.prefix }
}

resource "aws_sqs_queue" "from_topic" {
  name = "${var.prefix}-from-topic"
}

resource "aws_sns_topic_subscription" "queue" {
  topic_arn            = aws_sns_topic.events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.from_topic.arn
  raw_message_delivery = true
}

# ---- EventBridge

resource "aws_cloudwatch_event_rule" "tick" {
  name                = "${var.prefix}-tick"
  schedule_expression = "rate(5 minutes)"
  tags                = { app = var.prefix }
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.tick.arn
}

resource "aws_cloudwatch_event_target" "fn" {
  rule      = aws_cloudwatch_event_rule.tick.name
  target_id = "fn"
  arn       = aws_lambda_function.fn.arn
}

# ---- S3

resource "aws_s3_bucket" "data" {
  bucket = "${var.prefix}-data"
  tags   = { app = var.prefix }
}

resource "aws_s3_object" "config" {
  bucket       = aws_s3_bucket.data.id
  key          = "config/app.json"
  content      = jsonencode({ stage = "test" })
  content_type = "application/json"
  tags         = { app = var.prefix }
}

resource "aws_lambda_permission" "s3" {
  statement_id  = "AllowS3"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.fn.function_name
  principal     = "s3.amazonaws.com"
  source_arn    = aws_s3_bucket.data.arn
}

resource "aws_s3_bucket_notification" "data" {
  bucket = aws_s3_bucket.data.id
  lambda_function {
    lambda_function_arn = aws_lambda_function.fn.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = "in/"
  }
  depends_on = [aws_lambda_permission.s3]
}

output "function_url" {
  value = aws_lambda_function_url.url.function_url
}

output "alias_arn" {
  value = aws_lambda_alias.live.arn
}
