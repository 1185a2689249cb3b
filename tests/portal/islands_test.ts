import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import {
  collectIslands,
  escapeScript,
  IslandScripts,
  registerIslands,
} from "../../server/portal/islands.ts";

function Counter(props: { start: number; label: string }) {
  return h("button", null, `${props.label} ${props.start}`);
}
registerIslands({ Counter });

Deno.test("an island renders inside a display:contents wrapper that names it and its props", () => {
  const html = collectIslands(() =>
    renderToString(
      h(
        "main",
        null,
        h(Counter, { start: 3, label: "a" }),
        h(Counter, { start: 4, label: "b" }),
        h(IslandScripts, null),
      ),
    )
  );
  assert.match(
    html,
    /<div data-island="Counter" data-props="0" style="display:contents"><button>a 3<\/button><\/div>/,
  );
  assert.match(
    html,
    /<div data-island="Counter" data-props="1" style="display:contents"><button>b 4<\/button><\/div>/,
  );
  const json = html.match(
    /<script type="application\/json" id="__islands">(.*?)<\/script>/,
  )![1];
  assert.deepEqual(JSON.parse(json), [{ start: 3, label: "a" }, {
    start: 4,
    label: "b",
  }]);
  assert.match(
    html,
    /<script type="module" src="\/static\/islands\/main.js"><\/script><\/main>$/,
  );
});

Deno.test("island props cannot close the script element or open a comment", () => {
  const html = collectIslands(() =>
    renderToString(
      h(
        "div",
        null,
        h(Counter, {
          start: 1,
          label: "</script><script>alert(1)</script><!--",
        }),
        h(IslandScripts, null),
      ),
    )
  );
  const script = html.slice(html.indexOf('<script type="application/json"'));
  assert.equal(
    script.match(/<\/script>/g)!.length,
    2,
    "only the two real closing tags",
  );
  assert.doesNotMatch(script, /<!--/);
  const json = script.match(/id="__islands">(.*?)<\/script>/)![1];
  assert.equal(
    JSON.parse(json)[0].label,
    "</script><script>alert(1)</script><!--",
  );
  assert.equal(escapeScript('"\u2028"'), '"\\u2028"');
});

Deno.test("outside a page render, island components render plainly", () => {
  assert.equal(
    renderToString(h(Counter, { start: 1, label: "x" })),
    "<button>x 1</button>",
  );
});
