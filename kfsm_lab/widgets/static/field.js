// One labelled field of the panel: <label for>, the input (or select), its message and help.
// The message is tied to the input with aria-describedby and marks it aria-invalid, so a screen
// reader announces what is wrong with the field and what a valid value looks like.
let serial = 0;

function render({ model, el }) {
  serial += 1;
  const id = `kfsm-field-${model.get("name")}-${serial}`;
  const kind = model.get("kind");
  el.classList.add("kfsm-field");
  const label = document.createElement("label");
  label.htmlFor = id;
  label.className = "kfsm-field-label";
  const box = document.createElement("div");
  box.className = "kfsm-field-control";
  const input = document.createElement(kind === "select" ? "select" : "input");
  input.id = id;
  input.className = "kfsm-input";
  if (kind !== "select") {
    input.type = "text";
    input.spellcheck = false;
    input.autocomplete = "off";
  }
  const message = document.createElement("div");
  message.id = `${id}-message`;
  message.className = "kfsm-field-message";
  const help = document.createElement("div");
  help.id = `${id}-help`;
  help.className = "kfsm-field-help";
  box.append(input, message, help);
  el.append(label, box);
  let optionsKey = "";

  function draw() {
    label.textContent = model.get("label");
    if (kind === "select") {
      const options = model.get("options") || [];
      const key = JSON.stringify(options);
      if (key !== optionsKey) {
        optionsKey = key;
        input.replaceChildren(...options.map(([text, value]) => {
          const option = document.createElement("option");
          option.value = value;
          option.textContent = text;
          return option;
        }));
      }
    } else {
      input.placeholder = model.get("placeholder") || "";
    }
    if (input.value !== model.get("value")) input.value = model.get("value");
    input.disabled = model.get("disabled");
    const text = model.get("message") || "";
    const helpText = model.get("help") || "";
    message.textContent = text;
    message.hidden = !text;
    help.textContent = helpText;
    help.hidden = !helpText;
    input.setAttribute("aria-invalid", text ? "true" : "false");
    const described = [text ? message.id : "", helpText ? help.id : ""].filter(Boolean).join(" ");
    if (described) input.setAttribute("aria-describedby", described);
    else input.removeAttribute("aria-describedby");
    el.classList.toggle("kfsm-field-invalid", Boolean(text));
  }

  const send = () => {
    if (model.get("value") === input.value) return;
    model.set("value", input.value);
    model.save_changes();
  };
  input.addEventListener(kind === "select" ? "change" : "input", send);
  for (const name of ["label", "value", "options", "placeholder", "disabled", "message", "help"]) {
    model.on(`change:${name}`, draw);
  }
  draw();
}

export default { render };
