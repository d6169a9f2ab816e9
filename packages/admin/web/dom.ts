/**
 * Theory of operation: the few DOM helpers the page needs — build elements
 * without innerHTML (text is always text, never markup), and one modal
 * confirmation step for every action.
 */

type Attrs = Readonly<Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>>;
type Child = Node | string | number | null | undefined | false;

/** Creates `<tag>` with attributes (`on…` functions become listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else if (k in el && typeof (el as unknown as Record<string, unknown>)[k] !== 'object' && !k.startsWith('data-') && !k.startsWith('aria-')) (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

/** Replaces every child of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
}

/** A hub time as local date and time (or a dash). */
export function time(ms: number | null): string {
  if (ms === null) return '—';
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

let dialog: HTMLDialogElement | null = null;

/** Asks the operator to confirm `text`; resolves true on "Confirm", false on "Cancel" or Escape. */
export function confirmAction(text: string, danger = false): Promise<boolean> {
  if (dialog === null) {
    dialog = h('dialog', { id: 'confirm' });
    document.body.append(dialog);
  }
  const d = dialog;
  return new Promise((resolve) => {
    const done = (answer: boolean): void => {
      d.close();
      resolve(answer);
    };
    fill(
      d,
      h('p', { id: 'confirm-text' }, text),
      h(
        'div',
        { class: 'buttons' },
        h('button', { id: 'confirm-cancel', type: 'button', onclick: () => done(false) }, 'Cancel'),
        h('button', { id: 'confirm-ok', type: 'button', class: danger ? 'danger' : 'primary', onclick: () => done(true) }, 'Confirm'),
      ),
    );
    d.onclose = () => resolve(false);
    d.showModal();
  });
}

let toastTimer: number | undefined;

/** Shows a short message at the bottom of the page. */
export function toast(text: string, kind: 'ok' | 'error' = 'ok'): void {
  let el = document.getElementById('toast');
  if (el === null) {
    el = h('div', { id: 'toast', role: 'status' });
    document.body.append(el);
  }
  el.textContent = text;
  el.className = `show ${kind}`;
  el.dataset['kind'] = kind;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => el!.classList.remove('show'), 6000);
}
