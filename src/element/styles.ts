import { css } from 'lit';

/**
 * Theming: every colour, size and font reads a `--sgpt-*` custom property with a default, and each
 * piece is exposed as a `::part` (input, listbox, meaning-only, group, group-title, option, option-trail,
 * option-title, option-excerpt, option-url, empty, empty-title, empty-hint, recent, recent-title,
 * recent-item, recent-clear, trigger, trigger-label, shortcut, dialog, close, progress, progress-label,
 * error, status, facets, facet-group, facet-key, facet, facet-active, facet-count) for anything the properties do not cover. Logical properties keep RTL correct.
 */
export const styles = css`
  :host {
    display: block;
    position: relative;
    font: var(--sgpt-font, inherit);
    color: var(--sgpt-color, CanvasText);
    --_bg: var(--sgpt-background, Canvas);
    --_border: var(--sgpt-border-color, #8a8f98);
    --_accent: var(--sgpt-accent, #2f6fde);
    /* Text and background mixed, so secondary text follows a dark page as they do (a fixed grey read
       3.1:1 on a dark Canvas); ≥ 4.5:1 on Canvas and on the active option, light or dark. */
    --_muted: var(--sgpt-muted, color-mix(in srgb, CanvasText 62%, Canvas));
    --_radius: var(--sgpt-radius, 6px);
  }
  :host([hidden]) {
    display: none;
  }
  .field {
    position: relative;
  }
  .facets {
    display: flex;
    flex-wrap: wrap;
    gap: 0.3em 1em;
    margin-block-end: 0.4em;
    font-size: 0.9em;
  }
  .facet-key {
    color: var(--_muted);
    margin-inline-end: 0.3em;
  }
  .facets button {
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.1em 0.5em;
    margin-inline-end: 0.2em;
    cursor: pointer;
  }
  .facets button[aria-pressed='true'] {
    border-color: var(--_accent);
    outline: 1px solid var(--_accent);
  }
  .facets .count {
    color: var(--_muted);
  }
  input {
    box-sizing: border-box;
    width: 100%;
    padding: var(--sgpt-input-padding, 0.6em 0.8em);
    font: inherit;
    font-size: var(--sgpt-input-font-size, 1.05em);
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  input:focus {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  [role='listbox'] {
    position: absolute;
    z-index: var(--sgpt-z-index, 10);
    inset-inline: 0;
    margin: 4px 0 0;
    padding: 4px;
    list-style: none;
    max-height: var(--sgpt-max-height, 28em);
    overflow-y: auto;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    box-shadow: var(--sgpt-shadow, 0 6px 24px rgb(0 0 0 / 0.15));
  }
  [role='listbox'][hidden] {
    display: none;
  }
  [role='option'] {
    padding: 0.5em 0.7em;
    border-radius: calc(var(--_radius) - 2px);
    cursor: pointer;
  }
  [role='option'][aria-selected='true'] {
    background: var(--sgpt-active-background, color-mix(in srgb, var(--_accent) 14%, transparent));
    outline: 1px solid var(--_accent);
  }
  [role='option'] {
    display: block;
  }
  .title {
    display: block;
    font-weight: 600;
    color: var(--sgpt-title-color, color-mix(in srgb, var(--_accent) 70%, CanvasText));
  }
  .excerpt {
    display: block;
    margin-top: 0.15em;
    font-size: 0.9em;
    color: var(--_muted);
  }
  .url,
  .page {
    display: block;
    margin-top: 0.15em;
    font-size: 0.8em;
    color: var(--_muted);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .meaning-only {
    display: block;
    padding: 0.4em 0.7em;
    font-size: 0.85em;
    color: var(--_muted);
    border-block-end: 1px solid var(--_border);
    margin-block-end: 4px;
  }
  .group-title {
    padding: 0.5em 0.7em 0.2em;
    font-size: 0.8em;
    font-weight: 700;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--_muted);
  }
  [role='group'] + [role='group'],
  [role='group'] + [role='option'],
  [role='option'] + [role='group'] {
    margin-top: 0.3em;
    border-top: 1px solid color-mix(in srgb, var(--_border) 40%, transparent);
  }
  [role='group'] [role='option'] {
    padding-inline-start: 1.2em;
  }
  .trail {
    display: block;
    font-size: 0.8em;
    color: var(--_muted);
  }
  mark {
    color: var(--sgpt-highlight-color, MarkText);
    background: var(--sgpt-highlight-background, Mark);
    border-radius: 2px;
  }
  .empty {
    margin-top: 4px;
    padding: 0.5em 0.7em;
    color: var(--_muted);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .empty p {
    margin: 0.2em 0;
  }
  .recent {
    margin-top: 4px;
    padding: 0.4em 0.7em;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .recent-title {
    margin: 0.2em 0;
    font-size: 0.8em;
    font-weight: 700;
    color: var(--_muted);
  }
  .recent ul {
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .recent button {
    font: inherit;
    color: inherit;
    background: none;
    border: 0;
    padding: 0.3em 0;
    cursor: pointer;
    text-align: start;
  }
  .recent .recent-clear {
    font-size: 0.85em;
    color: var(--_muted);
    text-decoration: underline;
  }
  .recent button:focus-visible,
  .trigger:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  .trigger {
    display: inline-flex;
    align-items: center;
    gap: 0.5em;
    padding: 0.45em 0.7em;
    font: inherit;
    color: var(--_muted);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    cursor: pointer;
  }
  kbd {
    margin-inline-start: 1.5em;
    padding: 0.05em 0.4em;
    font: 0.8em/1.4 ui-monospace, monospace;
    border: 1px solid var(--_border);
    border-radius: 4px;
  }
  dialog {
    box-sizing: border-box;
    width: min(var(--sgpt-dialog-width, 40rem), calc(100vw - 2rem));
    max-height: calc(100vh - 4rem);
    margin: 3rem auto auto;
    padding: 0;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    box-shadow: var(--sgpt-shadow, 0 6px 24px rgb(0 0 0 / 0.25));
  }
  dialog::backdrop {
    background: var(--sgpt-backdrop, rgb(0 0 0 / 0.4));
  }
  /* Open, the dialog is a column down to the list, which takes the height left and is the one
     thing that scrolls (200 % zoom, a short screen: the box and the close button stay in view), and
     the column is as wide as the dialog whatever a URL's unbroken line needs (a 360 px phone). */
  dialog[open],
  .dialog-body,
  dialog .search,
  dialog .field {
    display: flex;
    flex-direction: column;
    min-height: 0;
  }
  .dialog-body {
    gap: 0.5em;
    padding: 0.8em;
  }
  .close {
    align-self: end;
    padding: 0.3em 0.8em;
    font: inherit;
    font-size: 0.85em;
    color: inherit;
    background: none;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    cursor: pointer;
  }
  .close:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  dialog [role='listbox'] {
    position: static;
    box-shadow: none;
  }
  .progress {
    display: flex;
    align-items: center;
    gap: 0.6em;
    margin-top: 0.4em;
    font-size: 0.85em;
    color: var(--_muted);
  }
  progress {
    flex: 1;
    accent-color: var(--_accent);
  }
  .error {
    margin-top: 0.4em;
    padding: 0.5em 0.7em;
    border-radius: var(--_radius);
    color: var(--sgpt-error-color, #9b1c1c);
    background: var(--sgpt-error-background, #fdecec);
    border: 1px solid currentColor;
    font-size: 0.9em;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
