# the last step: nothing may change after it
restorecon -R /etc /var || true
