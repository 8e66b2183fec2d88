# fish completion for egress(1)
# Installed in fish's vendor_completions.d; tests/completions.bats checks it against
# --help.

# Proxy URLs and PAC URLs written in the user's config file, for -x and --pac.
function __egress_config_values --argument-names key
    set -l dir $XDG_CONFIG_HOME
    test -n "$dir"; or set dir ~/.config
    test -r $dir/egress/config; or return
    string match -rg -- '^\s*(?:--)?'$key'(?:\s*=\s*|\s+)"?([^"\s]+)' <$dir/egress/config
end

# Host names from ~/.ssh/known_hosts and the Host lines of ~/.ssh/config, as ssh's
# completion offers them (hashed entries and patterns left out).
function __egress_hosts
    if test -r ~/.ssh/known_hosts
        string match -rv '^[|@#]' <~/.ssh/known_hosts | string split -f1 ' ' |
            string split ',' | string replace -r '^\[([^]]+)\]:\d+$' '$1'
    end
    if test -r ~/.ssh/config
        string match -rig '^\s*host\s+(.*)$' <~/.ssh/config | string split ' ' |
            string match -rv '[*?!]|^$'
    end
end

# Whether HOST is still to come: no word yet that is not an option or its value.
function __egress_wants_host
    set -l words (commandline -opc)
    set -e words[1]
    set -l takes_value -x --proxy --pac --noproxy -H --proxy-header -A --user-agent \
        --proxy-cacert --proxy-capath --proxy-pinnedpubkey --proxy-cert --proxy-key \
        -U --proxy-user --proxy-auth --proxy-auth-hosts --netrc-file \
        --connect-timeout --idle-timeout --keepalive --eof-timeout --config \
        -L --listen -D --dynamic --max-conns --drain
    set -l skip 0
    for w in $words
        if test $skip -eq 1
            set skip 0
        else if contains -- $w $takes_value
            set skip 1
        else if string match -q -- '-*' $w
            continue
        else
            return 1
        end
    end
    return 0
end

complete -c egress -f
complete -c egress -n __egress_wants_host -a '(__egress_hosts)'

complete -c egress -s x -l proxy -x -a '(__egress_config_values proxy)' -d 'Proxy URL list'
complete -c egress -l pac -r -F -a 'auto (__egress_config_values pac)' -d 'Proxy auto-config script, or auto (WPAD)'
complete -c egress -l noproxy -x -d 'Hosts reached directly'
complete -c egress -s H -l proxy-header -x -d 'Header for the CONNECT request'
complete -c egress -s A -l user-agent -x -d 'User-Agent of the CONNECT request'
complete -c egress -l proxy-cacert -r -F -d 'CA certificates for an https:// proxy'
complete -c egress -l proxy-capath -x -a '(__fish_complete_directories)' -d 'Directory of CA certificates'
complete -c egress -l proxy-insecure -d 'Do not verify the https:// proxy'
complete -c egress -l proxy-pinnedpubkey -x -d 'Accept only this public key (sha256//HASH)'
complete -c egress -l proxy-cert -r -F -d 'Client certificate for the https:// proxy'
complete -c egress -l proxy-key -r -F -d 'Private key of the client certificate'
complete -c egress -s U -l proxy-user -x -d 'Proxy user[:password]'
complete -c egress -l proxy-auth -x -a 'any anysafe basic digest ntlm negotiate' -d 'Proxy authentication method'
complete -c egress -l proxy-auth-hosts -x -d 'PAC proxies that may be sent a password'
complete -c egress -l netrc-file -r -F -d 'Read proxy credentials from this file'
complete -c egress -l connect-timeout -x -d 'Seconds to reach the proxy and its reply'
complete -c egress -l idle-timeout -x -d 'Close the tunnel after seconds of silence'
complete -c egress -l keepalive -x -d 'TCP keepalive after seconds idle'
complete -c egress -l half-close -d 'Forward stdin EOF through the proxy'
complete -c egress -l eof-timeout -x -d 'Exit this long after stdin EOF'
complete -c egress -s F -l fdpass -d 'Pass the socket to ssh and exit'
complete -c egress -s L -l listen -x -d 'Serve HOST PORT on a local port'
complete -c egress -s D -l dynamic -x -d 'A local SOCKS and HTTP CONNECT proxy'
complete -c egress -l inetd -d 'Serve the one client on stdin'
complete -c egress -l max-conns -x -d 'Listen mode: most tunnels at once'
complete -c egress -l drain -x -d 'Listen mode: seconds to drain on SIGTERM'
complete -c egress -s 4 -l ipv4 -d 'IPv4 addresses only'
complete -c egress -s 6 -l ipv6 -d 'IPv6 addresses only'
complete -c egress -l config -r -F -d 'Read this config file'
complete -c egress -l no-config -d 'Read no config file'
complete -c egress -l explain -d 'Print how the target would be reached'
complete -c egress -s v -l verbose -d 'Show the proxy conversation'
complete -c egress -s q -l quiet -d 'No warnings'
complete -c egress -s h -l help -d 'Show the help'
complete -c egress -s V -l version -d 'Show the versions'
