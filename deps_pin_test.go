package valora

import _ "github.com/stripe/stripe-go/v86/webhook"
