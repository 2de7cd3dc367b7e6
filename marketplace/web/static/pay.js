// Pays the order with Stripe Elements. With Stripe, Stripe.js confirms the PaymentIntent itself.
// With localstripe (the embedded default), its Stripe.js stand-in cannot send a card on confirm:
// the card is tokenised in the browser and the app confirms with that token (see
// StripeGateway.confirm_with_card_token). Either way the webhook marks the order paid.
(function () {
  const form = document.getElementById('payment-form');
  const button = document.getElementById('pay-button');
  const message = document.getElementById('payment-message');
  const settings = form.dataset;
  const stripe = Stripe(settings.publishableKey);
  const card = stripe.elements().create('card');
  card.mount('#card-element');
  if (settings.emulatorUrl) {
    // The stand-in's fields have placeholders only: name them for screen readers.
    const names = {number: 'Card number', exp_month: 'Expiry month (MM)', exp_year: 'Expiry year (YY)',
                   cvc: 'Security code (CVC)', postal_code: 'Postcode'};
    form.querySelectorAll('#card-element input').forEach((input) => {
      input.setAttribute('aria-label', names[input.placeholder] || input.placeholder);
    });
  }

  function showError(text) {
    message.textContent = text;
    message.hidden = false;
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }

  async function payWithEmulator() {
    const {token, error} = await stripe.createToken(card);
    if (error) {
      return {error: {message: error.message || 'The card details are incomplete.'}};
    }
    const response = await fetch(settings.emulatorUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-CSRFToken': document.querySelector('meta[name="csrf-token"]').content,
      },
      body: JSON.stringify({card_token: token.id}),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || !body.paid) {
      return {error: {message: body.message || 'The payment did not go through. Please try again.'}};
    }
    return {};
  }

  async function payWithStripe() {
    return stripe.confirmCardPayment(settings.clientSecret, {
      payment_method: {card: card, billing_details: {email: settings.email}},
    });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.hidden = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    let result;
    try {
      result = settings.emulatorUrl ? await payWithEmulator() : await payWithStripe();
    } catch (error) {
      result = {error: {message: 'The card details are incomplete or the payment could not be sent. Please try again.'}};
    }
    if (result.error) {
      showError(result.error.message);
      return;
    }
    window.location.assign(settings.confirmationUrl);
  });
})();
