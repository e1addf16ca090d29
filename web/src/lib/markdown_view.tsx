// Markdown (lib/markdown.ts) as Preact elements: every piece of text is a text node, links
// carry only URLs safeUrl accepted and rel="noopener noreferrer nofollow", images show their
// alt text. Never innerHTML.
import { h, type VNode, type ComponentChildren } from 'preact';
import { parseMarkdown, type Block, type Inline } from './markdown';

export function inlineNodes(c: Inline[]): ComponentChildren[] {
  return c.map((x, i): ComponentChildren => {
    switch (x.t) {
      case 'text':
        return x.v;
      case 'code':
        return h('code', { key: i }, x.v);
      case 'em':
        return h('em', { key: i }, inlineNodes(x.c));
      case 'strong':
        return h('strong', { key: i }, inlineNodes(x.c));
      case 'del':
        return h('del', { key: i }, inlineNodes(x.c));
      case 'br':
        return h('br', { key: i });
      case 'img':
        return h('span', { key: i, class: 'md-img', title: 'image not loaded' }, x.alt ? `[${x.alt}]` : '[image]');
      case 'link':
        return h(
          'a',
          { key: i, href: x.href, rel: 'noopener noreferrer nofollow', target: x.href.startsWith('#') ? undefined : '_blank' },
          inlineNodes(x.c),
        );
    }
  });
}

export function blockNodes(blocks: Block[]): VNode<any>[] {
  return blocks.map((b, i): VNode<any> => {
    switch (b.t) {
      case 'h':
        return h(`h${Math.min(6, b.level + 1)}` as 'h2', { key: i, class: `md-h${b.level}` }, inlineNodes(b.c));
      case 'p':
        return h('p', { key: i }, inlineNodes(b.c));
      case 'pre':
        return h('pre', { key: i }, h('code', null, b.v));
      case 'hr':
        return h('hr', { key: i });
      case 'quote':
        return h('blockquote', { key: i }, blockNodes(b.c));
      case 'list':
        return h(
          b.ordered ? 'ol' : 'ul',
          { key: i, start: b.ordered && b.start !== 1 ? b.start : undefined },
          b.items.map((item, k) => {
            // a tight item's single paragraph renders inline
            const only = item.length === 1 && item[0].t === 'p' ? inlineNodes(item[0].c) : blockNodes(item);
            return h('li', { key: k }, only);
          }),
        );
      case 'table':
        return h(
          'div',
          { key: i, class: 'md-table' },
          h(
            'table',
            null,
            h('thead', null, h('tr', null, b.head.map((c, k) => h('th', { key: k, class: b.align[k] ? `al-${b.align[k]}` : undefined }, inlineNodes(c))))),
            h(
              'tbody',
              null,
              b.rows.map((row, r) =>
                h('tr', { key: r }, row.map((c, k) => h('td', { key: k, class: b.align[k] ? `al-${b.align[k]}` : undefined }, inlineNodes(c)))),
              ),
            ),
          ),
        );
    }
  });
}

/** Renders Markdown source safely. Headings are shifted one level down (a summary sits
 * under the page's own headings). */
export function Markdown({ source, class: cls }: { source: string; class?: string }) {
  return h('div', { class: 'markdown' + (cls ? ' ' + cls : '') }, blockNodes(parseMarkdown(source)));
}
