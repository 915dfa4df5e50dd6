// Starts Swagger UI on /api/v1/docs (templates/swagger_ui.html); a file rather than an
// inline script, so the page could carry a CSP without 'unsafe-inline'.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  var config = JSON.parse(container.dataset.config || "{}");
  config.url = container.dataset.specUrl;
  config.dom_id = "#swagger-ui-container";
  window.ui = SwaggerUIBundle(config);
});
