# The Terraform source of plan-correct.json.

resource "aws_iam_group" "mfa_required" {
  name = "MfaRequired"
}

resource "aws_iam_policy" "require_mfa" {
  name = "RequireMfa"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AllowManageOwnUserMFA"
        Effect   = "Allow"
        Action   = ["iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice", "iam:ChangePassword", "iam:GetUser"]
        Resource = ["arn:aws:iam::111122223333:user/$${aws:username}", "arn:aws:iam::111122223333:user/*/$${aws:username}"]
      },
      {
        Sid      = "AllowManageOwnVirtualMFADevice"
        Effect   = "Allow"
        Action   = "iam:CreateVirtualMFADevice"
        Resource = "arn:aws:iam::111122223333:mfa/$${aws:username}"
      },
      {
        Sid       = "DenyAllExceptListedIfNoMFA"
        Effect    = "Deny"
        NotAction = ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "iam:ChangePassword", "sts:GetSessionToken"]
        Resource  = "*"
        Condition = {
          BoolIfExists = { "aws:MultiFactorAuthPresent" = "false" }
        }
      },
    ]
  })
}

resource "aws_iam_group_policy_attachment" "require_mfa" {
  group      = aws_iam_group.mfa_required.name
  policy_arn = aws_iam_policy.require_mfa.arn
}

resource "aws_iam_user" "developer" {
  name = "developer"
}

resource "aws_iam_user_login_profile" "developer" {
  user                    = aws_iam_user.developer.name
  password_reset_required = true
}

resource "aws_iam_user_group_membership" "developer" {
  user   = aws_iam_user.developer.name
  groups = [aws_iam_group.mfa_required.name]
}

resource "aws_iam_role" "admin" {
  name = "admin"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:root" }
      Action    = "sts:AssumeRole"
      Condition = {
        Bool            = { "aws:MultiFactorAuthPresent" = "true" }
        NumericLessThan = { "aws:MultiFactorAuthAge" = "3600" }
      }
    }]
  })
}

resource "aws_iam_role" "lambda" {
  name = "image-resizer"
  path = "/service-role/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
