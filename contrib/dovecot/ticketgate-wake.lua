-- Dovecot push_notification Lua driver for ticketgate: when a message is
-- delivered to (LMTP, LDA) or APPENDed into a folder, tell the daemon at
-- once, so that it searches now instead of after IDLE's notice (which
-- Dovecot sends half a second after the change) or its polling interval.
-- The hint carries only the user and folder names; the daemon answers 204
-- when it serves that folder, 404 when not (not worth a warning: the
-- daemon's own moves into other folders cause those).
--
-- Acts only for users with the plugin setting ticketgate_wake_url, set
-- globally or, to spare everyone else a request per delivery, only for the
-- support mailboxes' users (a userdb extra field plugin/ticketgate_wake_url):
--
--   mail_plugins = $mail_plugins notify push_notification mail_lua push_notification_lua
--   plugin {
--     push_notification_driver = lua:file=/usr/share/ticketgate/dovecot/ticketgate-wake.lua
--     ticketgate_wake_url = http://127.0.0.1:8119/wake
--   }
--
-- With two daemons on the same mailboxes (one works them, the other waits
-- for the lock), name both, separated by spaces: each gets every hint.
--
-- The requests are made one after another before Dovecot answers the
-- delivery or APPEND; each gives up after ticketgate_wake_timeout_msecs
-- (default 500; the first user's value serves the whole process), and a
-- lost hint costs only time: the daemon still finds the mail by IDLE or
-- polling. A refused connection costs next to nothing, a host that does
-- not answer the whole timeout, on every delivery.

local client = nil

local function http_client(timeout)
	if client == nil then
		client = dovecot.http.client {
			request_timeout_msecs = timeout,
			request_absolute_timeout_msecs = timeout,
			max_attempts = 1,
			user_agent = "dovecot-ticketgate-wake",
		}
	end
	return client
end

local function escape(s)
	return (string.gsub(s, "[^A-Za-z0-9._~-]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

function dovecot_lua_notify_begin_txn(user)
	local setting = user:plugin_getenv("ticketgate_wake_url")
	local timeout = tonumber(user:plugin_getenv("ticketgate_wake_timeout_msecs"))
	local urls = {}
	for url in string.gmatch(setting or "", "%S+") do
		urls[#urls + 1] = url
	end
	if #urls == 0 then
		return nil
	end
	return { urls = urls, timeout = timeout or 500,
		 user = user.username, folders = {} }
end

local function note(ctx, event)
	if ctx ~= nil then
		ctx.folders[event.mailbox] = true
	end
end

function dovecot_lua_notify_event_message_new(ctx, event)
	note(ctx, event)
end

function dovecot_lua_notify_event_message_append(ctx, event)
	note(ctx, event)
end

local function hint(ctx, url, folder)
	local req = http_client(ctx.timeout):request {
		url = url .. "?user=" .. escape(ctx.user) ..
			"&mailbox=" .. escape(folder),
		method = "POST",
	}
	local resp = req:submit()
	local status = resp:status()
	if status ~= 204 and status ~= 404 then
		dovecot.i_warning("ticketgate wake-up hint to " .. url ..
			" failed: " .. status .. " " .. (resp:reason() or ""))
	end
end

function dovecot_lua_notify_end_txn(ctx)
	if ctx == nil then
		return
	end
	for folder in pairs(ctx.folders) do
		for _, url in ipairs(ctx.urls) do
			hint(ctx, url, folder)
		end
	end
end
