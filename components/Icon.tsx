/** An icon from the SVG sprite static/icons.svg. */
export function Icon(props: { name: string; label?: string }) {
  return (
    <svg
      class="icon"
      aria-hidden={props.label ? undefined : "true"}
      aria-label={props.label}
      role="img"
    >
      <use href={`/static/icons.svg#${props.name}`} />
    </svg>
  );
}
