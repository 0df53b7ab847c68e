/* The sign-in page: the hub puts its error text where login.html has the placeholder;
 * a page served without that substitution hides the placeholder itself. */
(function () {
  "use strict";
  var error = document.getElementById("login-error");
  if (error && error.textContent.trim() === "{" + "{error}" + "}") {
    error.textContent = "";
  }
})();
