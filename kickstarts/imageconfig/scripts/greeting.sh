echo "$GREETING from $(hostname)" > /etc/azl-greeting
