# The lab devices' web login form, run by lighttpd's mod_cgi under /bin/sh as /login.cgi; up.sh
# sets USERS to the device's lighttpd.user file (user:password lines) before this text. GET shows
# the form; a POST of username and password that matches a line gets 302 to /admin/ with a
# session cookie, any other gets the form again with an error, as embedded web UIs do.

# Form fields are URL-encoded: '+' is a space, %XX a byte
decode() { printf '%b' "$(printf '%s' "$1" | sed 's/+/ /g; s/%\([0-9A-Fa-f][0-9A-Fa-f]\)/\\x\1/g')"; }
field() { printf '%s' "$body" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1; }

form() {
  printf 'Status: 200 OK\r\nContent-Type: text/html\r\n\r\n'
  printf '<html><body>%s<form method="post" action="/login.cgi">' "$1"
  printf 'User <input name="username"> Password <input type="password" name="password">'
  printf '<input type="submit" name="login" value="Log in"></form></body></html>\n'
}

if [ "$REQUEST_METHOD" != POST ]; then
  form ""
  exit 0
fi
length=${CONTENT_LENGTH:-0}
[ "$length" -le 4096 ] 2>/dev/null || length=4096
body=$(head -c "$length")
user=$(decode "$(field username)")
pass=$(decode "$(field password)")
if [ -n "$user" ] && grep -qxF -- "$user:$pass" "$USERS"; then
  printf 'Status: 302 Found\r\nLocation: /admin/\r\nSet-Cookie: session=%s; HttpOnly\r\n\r\n' "$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
else
  form '<p class="error">Invalid user name or password</p>'
fi
