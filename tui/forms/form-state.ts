/** One field of a form: free text, or one of a few choices. */
export interface FormField {
  label: string;
  value: string;
  /** When set, ←/→ cycle through these and typed text goes to the next text field. */
  choices?: readonly string[];
}

export type FormKind = 'new-session' | 'add-workspace';

export interface FormState {
  kind: FormKind;
  title: string;
  fields: FormField[];
  /** The field the keyboard is in. */
  active: number;
  /** Why the last submit was refused. */
  error: string | undefined;
  /** What the form acts on (the workspace a session starts in). */
  target: string | undefined;
  /** The node it acts on, when not this one (see onNode). */
  node?: string;
}

/** The field labelled `label`'s value. */
export function valueOf(form: FormState, label: string): string {
  return form.fields.find((field) => field.label === label)?.value ?? '';
}

function withField(form: FormState, index: number, change: (field: FormField) => FormField): FormState {
  return {
    ...form,
    error: undefined,
    fields: form.fields.map((field, at) => (at === index ? change(field) : field)),
  };
}

/**
 * Text typed into the form. A choice takes no text: what is typed there goes
 * to the next text field, which takes the keyboard, so nothing typed is lost.
 */
export function typed(form: FormState, text: string): FormState {
  const count = form.fields.length;
  const offset = Array.from({ length: count }, (_, step) => step).find(
    (step) => form.fields[(form.active + step) % count]!.choices === undefined,
  );
  if (offset === undefined) return form;
  const index = (form.active + offset) % count;
  return { ...withField(form, index, (field) => ({ ...field, value: field.value + text })), active: index };
}

/** Backspace: the last character of the active text field. */
export function erased(form: FormState): FormState {
  return withField(form, form.active, (field) =>
    field.choices ? field : { ...field, value: [...field.value].slice(0, -1).join('') },
  );
}

/** Tab or ↓ (1), Shift-Tab or ↑ (-1): another field, every value kept. */
export function moved(form: FormState, step: 1 | -1): FormState {
  const count = form.fields.length;
  return { ...form, active: (form.active + step + count) % count };
}

/** ←/→ on a choice: the previous or next one. */
export function cycled(form: FormState, step: 1 | -1): FormState {
  return withField(form, form.active, (field) => {
    if (!field.choices) return field;
    const at = field.choices.indexOf(field.value);
    return { ...field, value: field.choices[(at + step + field.choices.length) % field.choices.length]! };
  });
}
