"""Payment providers: adapters behind ``domain.payments.PaymentProvider``."""
