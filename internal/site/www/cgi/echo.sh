#!/bin/sh
# The demo site's CGI program (RFC 3875): it echoes the request it was given
# (method, URI, query, the HTTP_* header variables, the body's size) as an
# HTML page. Everything that came from the client is HTML-escaped. POSIX sh,
# sed and wc only.

esc() {
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\&#39;/g"
}

# §4.2: the body arrives on stdin; it ends at CONTENT_LENGTH bytes, or at
# end of file when the server streams a chunked body without one.
size=0
if [ "$REQUEST_METHOD" = POST ]; then
	size=$(wc -c | tr -d ' ')
fi

printf 'Content-Type: text/html; charset=utf-8\r\n'
printf 'Cache-Control: no-store\r\n\r\n'

cat <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CGI echo</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<main>
<p class="crumbs"><a href="/">webserv</a> / CGI</p>
<h1>CGI echo</h1>
<p>This page is written by <code>$(esc "$SCRIPT_NAME")</code>, a POSIX shell
script run as a CGI/1.1 program (RFC 3875) for every request
(<code>location /cgi/ { cgi .sh; }</code>). It shows what the server passed it.</p>
<table class="kv" id="request">
<tr><th>Method</th><td id="method">$(esc "$REQUEST_METHOD")</td></tr>
<tr><th>URI</th><td id="uri">$(esc "$REQUEST_URI")</td></tr>
<tr><th>Query</th><td id="query">$(esc "$QUERY_STRING")</td></tr>
<tr><th>Content type</th><td id="ctype">$(esc "${CONTENT_TYPE-}")</td></tr>
<tr><th>Body size</th><td id="size">$size bytes</td></tr>
<tr><th>Remote address</th><td>$(esc "$REMOTE_ADDR")</td></tr>
<tr><th>Server</th><td>$(esc "$SERVER_SOFTWARE") ($(esc "$SERVER_PROTOCOL"))</td></tr>
</table>
<h2>Request headers</h2>
<p>Each header field reaches the program as an <code>HTTP_*</code> variable.</p>
<table class="kv" id="headers">
HTML
env | sed -n '/^HTTP_/p' | sort | while IFS= read -r line; do
	printf '<tr><th>%s</th><td>%s</td></tr>\n' "$(esc "${line%%=*}")" "$(esc "${line#*=}")"
done
cat <<HTML
</table>
<h2>Try it</h2>
<form method="get" action="$(esc "$SCRIPT_NAME")">
<input name="greeting" value="hello"> <button type="submit">GET with a query</button>
</form>
<form method="post" action="$(esc "$SCRIPT_NAME")?via=form">
<textarea name="message" rows="3" cols="40">Hello, CGI!</textarea><br>
<button type="submit" id="post">POST this form</button>
</form>
<p>Or with curl: <code>curl -d 'a=1' -H 'X-Demo: &lt;b&gt;' 'http://127.0.0.1:8080/cgi/echo.sh?x=1'</code></p>
</main>
</body>
</html>
HTML
