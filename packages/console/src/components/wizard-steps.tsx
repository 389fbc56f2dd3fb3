/** A wizard's steps, the current one marked for screen readers too (1-based `current`). */
export function WizardSteps({ steps, current }: { steps: readonly string[]; current: number }) {
  return (
    <ol class="steps" aria-label="Steps">
      {steps.map((label, i) => (
        <li
          key={label}
          class={
            i + 1 === current ? 'step step-current' : i + 1 < current ? 'step step-done' : 'step'
          }
          aria-current={i + 1 === current ? 'step' : undefined}
        >
          <span class="step-number" aria-hidden="true">
            {i + 1}
          </span>
          <span class="step-label">
            <span class="visually-hidden">Step {i + 1}: </span>
            {label}
            {i + 1 < current && <span class="visually-hidden"> (done)</span>}
          </span>
        </li>
      ))}
    </ol>
  )
}
