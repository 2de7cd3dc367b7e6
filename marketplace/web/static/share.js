// "Copy link" buttons: copy the address from the read-only field they name, and say so.
document.querySelectorAll('button.copy').forEach((button) => {
  button.addEventListener('click', async () => {
    const field = document.getElementById(button.dataset.copyFrom);
    const status = button.closest('section').querySelector('.copy-status');
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = 'Link copied.';
    } catch (error) {
      status.textContent = 'Select the link and copy it with your keyboard or menu.';
    }
  });
});
