/* Search results: each page once, at its best-scoring match, and snippets
taken from the article only.

Sphinx (7.4) merges title, index-entry and full-text matches and removes only
exact duplicates, so a page that matches a query in several ways is listed
several times: the glossary once for its entry "Jacobian" (#term-Jacobian)
and once for its text, the Jacobian chapter once for a section title and once
for its text. This keeps the first of each page's results in display order
(the list is shown from its end, best first). Loaded by search.html only,
after searchtools.js (book/_ext/search_tweaks.py).

Snippets: Sphinx takes the text of the page's [role=main], which in this theme
also holds the header buttons (".ipynb .pdf"), the print-only table of
contents, the page outline and the previous/next links; the snippet is now
taken from the article alone. */
(() => {
  const search = Search._performSearch;
  Search._performSearch = (...args) => {
    const results = search(...args);
    const seen = new Set();
    const kept = [];
    for (let index = results.length - 1; index >= 0; index -= 1) {
      const docName = results[index][0];
      if (!seen.has(docName)) {
        seen.add(docName);
        kept.push(results[index]);
      }
    }
    return kept.reverse();
  };
})();

(() => {
  const toText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    const main = page.querySelector('[role="main"]');
    const article = page.querySelector("article.bd-article");
    if (!main || !article) return toText(htmlString, anchor);
    main.replaceChildren(article);
    return toText(page.documentElement.outerHTML, anchor);
  };
})();
