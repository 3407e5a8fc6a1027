//! Event payloads (serde structs carried as JSON in record values), emails and service kinds.

use serde::{Deserialize, Serialize};

/// Topic names of the order chain.
pub const ORDER_CREATED: &str = "order.created";
/// Published by payment_service on success.
pub const PAYMENT_SUCCESSFUL: &str = "payment.successful";
/// Published by payment_service on refusal.
pub const PAYMENT_FAILED: &str = "payment.failed";
/// Published by shipping_service.
pub const DELIVERY_SHIPPED: &str = "delivery.shipped";
/// Every topic of the chain, in chain order.
pub const CHAIN_TOPICS: [&str; 4] = [
    ORDER_CREATED,
    PAYMENT_SUCCESSFUL,
    PAYMENT_FAILED,
    DELIVERY_SHIPPED,
];

/// `order.created`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// Order id, from 1.
    pub order_id: u64,
    /// Customer.
    pub user_id: u64,
    /// Total in cents.
    pub total: u64,
}

/// `payment.successful`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSuccessful {
    /// Order id.
    pub order_id: u64,
    /// Amount charged in cents.
    pub amount: u64,
}

/// `payment.failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFailed {
    /// Order id.
    pub order_id: u64,
    /// Why the card was refused.
    pub reason: String,
}

/// `delivery.shipped`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryShipped {
    /// Order id.
    pub order_id: u64,
    /// Carrier name.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
}

/// The four services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Publishes `order.created`.
    OrderService,
    /// Consumes `order.created`, publishes `payment.successful` or `payment.failed`.
    PaymentService,
    /// Consumes `payment.successful`, publishes `delivery.shipped`.
    ShippingService,
    /// Consumes everything, sends emails.
    EmailService,
}

impl ServiceKind {
    /// All four, in chain order.
    pub const ALL: [ServiceKind; 4] = [
        ServiceKind::OrderService,
        ServiceKind::PaymentService,
        ServiceKind::ShippingService,
        ServiceKind::EmailService,
    ];

    /// The service's name (also its consumer group id).
    pub fn name(self) -> &'static str {
        match self {
            ServiceKind::OrderService => "order_service",
            ServiceKind::PaymentService => "payment_service",
            ServiceKind::ShippingService => "shipping_service",
            ServiceKind::EmailService => "email_service",
        }
    }

    /// The service named `name`.
    pub fn from_name(name: &str) -> Option<ServiceKind> {
        ServiceKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Topics it consumes.
    pub fn consumes(self) -> &'static [&'static str] {
        match self {
            ServiceKind::OrderService => &[],
            ServiceKind::PaymentService => &[ORDER_CREATED],
            ServiceKind::ShippingService => &[PAYMENT_SUCCESSFUL],
            ServiceKind::EmailService => &CHAIN_TOPICS,
        }
    }

    /// Topics it publishes.
    pub fn publishes(self) -> &'static [&'static str] {
        match self {
            ServiceKind::OrderService => &[ORDER_CREATED],
            ServiceKind::PaymentService => &[PAYMENT_SUCCESSFUL, PAYMENT_FAILED],
            ServiceKind::ShippingService => &[DELIVERY_SHIPPED],
            ServiceKind::EmailService => &[],
        }
    }
}

/// Which step of an order an email announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStep {
    /// Order confirmation.
    OrderConfirmed,
    /// Payment received.
    PaymentReceived,
    /// Payment refused.
    PaymentRefused,
    /// Parcel shipped.
    Shipped,
}

impl EmailStep {
    /// The subject line in English and French.
    pub fn subject(self, order_id: u64) -> (String, String) {
        match self {
            EmailStep::OrderConfirmed => (
                format!("Order #{order_id} confirmed"),
                format!("Commande n°{order_id} confirmée"),
            ),
            EmailStep::PaymentReceived => (
                format!("Payment received for order #{order_id}"),
                format!("Paiement reçu pour la commande n°{order_id}"),
            ),
            EmailStep::PaymentRefused => (
                format!("Payment refused for order #{order_id}"),
                format!("Paiement refusé pour la commande n°{order_id}"),
            ),
            EmailStep::Shipped => (
                format!("Order #{order_id} has shipped"),
                format!("La commande n°{order_id} a été expédiée"),
            ),
        }
    }
}

/// One email in the outbox. Its subject lines are written when shown (or serialised), not for
/// every email sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// Which order.
    pub order_id: u64,
    /// Recipient user id.
    pub user_id: u64,
    /// Which step.
    pub step: EmailStep,
    /// When it was sent (simulated ms).
    pub sent_at: u64,
}

impl Email {
    /// The subject in English.
    pub fn subject_en(&self) -> String {
        self.step.subject(self.order_id).0
    }

    /// The subject in French.
    pub fn subject_fr(&self) -> String {
        self.step.subject(self.order_id).1
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (subject_en, subject_fr) = self.step.subject(self.order_id);
        let mut s = serializer.serialize_struct("Email", 6)?;
        s.serialize_field("order_id", &self.order_id)?;
        s.serialize_field("user_id", &self.user_id)?;
        s.serialize_field("step", &self.step)?;
        s.serialize_field("subject_en", &subject_en)?;
        s.serialize_field("subject_fr", &subject_fr)?;
        s.serialize_field("sent_at", &self.sent_at)?;
        s.end()
    }
}
