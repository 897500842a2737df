# The Terraform source of plan-pitfalls.json.

resource "aws_iam_group" "legacy" {
  name = "LegacyMFA"
}

data "aws_iam_policy_document" "legacy" {
  statement {
    sid    = "DenyAllWithoutMFA"
    effect = "Deny"
    not_actions = [
      "iam:ChangePassword",
      "iam:CreateVirtualMFADevice",
      "iam:EnableMFADevice",
      "iam:ListMFADevices",
      "sts:GetSessionToken",
    ]
    resources = ["*"]
    condition {
      test     = "Bool"
      variable = "aws:MultiFactorAuthPresent"
      values   = ["false"]
    }
  }
}

resource "aws_iam_group_policy" "legacy_deny" {
  name   = "DenyAllWithoutMFA"
  group  = aws_iam_group.legacy.name
  policy = data.aws_iam_policy_document.legacy.json
}

resource "aws_iam_user" "contractor" {
  name = "contractor"
  path = "/contractors/"
}

resource "aws_iam_user_login_profile" "contractor" {
  user                    = aws_iam_user.contractor.name
  password_reset_required = true
}

resource "aws_iam_user_group_membership" "contractor" {
  user   = aws_iam_user.contractor.name
  groups = [aws_iam_group.legacy.name]
}

resource "aws_iam_policy" "reports" {
  name = "FinanceReports"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "FinanceReportsWithMFA"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = "arn:aws:s3:::example-finance-reports/*"
        Condition = {
          BoolIfExists = { "aws:MultiFactorAuthPresent" = "true" }
        }
      },
      {
        Sid      = "ManageUserPolicies"
        Effect   = "Allow"
        Action   = ["iam:AttachUserPolicy", "iam:PutUserPolicy"]
        Resource = "arn:aws:iam::111122223333:user/*"
      },
    ]
  })
}

resource "aws_iam_role" "admin" {
  name = "admin"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_policy" "stale_mfa" {
  name = "DenyStaleMFA"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "DenyStaleMFA"
      Effect   = "Deny"
      Action   = "*"
      Resource = "*"
      Condition = {
        NumericGreaterThan = { "aws:MultiFactorAuthAge" = "3600" }
      }
    }]
  })
}
