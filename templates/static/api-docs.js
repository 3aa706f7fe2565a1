// Starts Swagger UI on /api/v1/docs: a file of its own, since the site's Content-Security-Policy allows no inline
// script. No validator badge (it would send the description to a server elsewhere).
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    displayOperationId: true,
    withCredentials: true
  });
});
