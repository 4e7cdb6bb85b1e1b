# The handler (handler.handler): $1 is the event (JSON). Print the response; exit non-zero to fail.
handler() {
  case "$1" in
    *'"fail"'*) echo "asked to fail" >&2; return 1 ;;
  esac
  echo "{\"greeting\": \"$GREETING\", \"event\": $1, \"kernel\": \"$(uname -s)\", \"root\": \"$(ls / | tr '\n' ' ')\"}"
}
