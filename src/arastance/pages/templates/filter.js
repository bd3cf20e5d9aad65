// Show only the sentences with a mark of the chosen kind and label ("kind:label" tags on each sentence).
(function () {
  var kind = document.getElementById("filter-kind"), label = document.getElementById("filter-label");
  if (!kind || !label) { return; }
  function apply() {
    var shown = 0;
    document.querySelectorAll("article.document").forEach(function (doc) {
      var any = false;
      doc.querySelectorAll(".sentence").forEach(function (s) {
        var tags = (s.getAttribute("data-tags") || "").split(" ");
        var ok = (!kind.value && !label.value) || tags.some(function (t) {
          var i = t.lastIndexOf(":"), k = t.slice(0, i), l = t.slice(i + 1);
          return (!kind.value || k === kind.value) && (!label.value || l === label.value);
        });
        s.classList.toggle("hidden", !ok);
        if (ok) { any = true; shown += 1; }
      });
      doc.classList.toggle("hidden", !any);
    });
    document.getElementById("filter-count").textContent = shown + " sentence(s) shown";
  }
  kind.addEventListener("change", apply);
  label.addEventListener("change", apply);
  apply();
})();
