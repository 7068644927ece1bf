/* Unit tests for reply.c: a table of realistic reply bodies and the new
 * text a reader would keep (each also run with CRLF line endings), false
 * positives that must not cut, and properties on generated and large
 * input: the output is a sub-sequence of the input's lines, and a capped
 * buffer gets a prefix of it. */
#include "ticketgate/reply.h"
#include "ticketgate/buf.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *in;
	const char *want;
} cases[] = {
	/* 0: Gmail, top-posted */
	{"Thanks, the restart fixed it.\n\n"
	 "On Mon, Jan 1, 2024 at 10:00 AM Support Team <support@example.com> "
	 "wrote:\n\n"
	 "> Hi Ana,\n>\n> Please restart the service and tell us.\n>\n"
	 "> Regards,\n> Support\n",
	 "Thanks, the restart fixed it."},
	/* 1: Gmail, attribution wrapped inside the address */
	{"It works now.\n\n"
	 "On Mon, Jan 1, 2024 at 10:00 AM Very Long Support Team Name <\n"
	 "support@example.com> wrote:\n\n> Try again.\n",
	 "It works now."},
	/* 2: wrapped over three lines */
	{"Ok.\n\nOn Tue, Feb 13, 2024 at 3:45 PM\nMaria Fernanda da Silva "
	 "Souza\n"
	 "<maria.souza@example.com.br> wrote:\n> Can we close it?\n",
	 "Ok."},
	/* 3: Thunderbird, with a closing */
	{"Attached is the log you asked for.\n\nBest,\nJohn\n\n"
	 "On 01/01/2024 10:00, Support wrote:\n> Could you send us the log?\n",
	 "Attached is the log you asked for.\n\nBest,\nJohn"},
	/* 4: Apple Mail quotes its attribution */
	{"Yes, that's correct.\n\n"
	 "> On 1 Jan 2024, at 10:00, Support <support@example.com> wrote:\n"
	 "> \n> Is your account ID 4411?\n",
	 "Yes, that's correct."},
	/* 5: iPhone footer above Apple Mail's quote */
	{"Yes please.\n\nSent from my iPhone\n\n"
	 "> On Jan 1, 2024, at 10:00 AM, Support <support@example.com> wrote:\n"
	 "> \n> Shall we close the ticket?\n",
	 "Yes please."},
	/* 6: Gmail in Portuguese */
	{"Obrigado, funcionou.\n\n"
	 "Em seg., 1 de jan. de 2024 às 10:00, Suporte <suporte@example.com> "
	 "escreveu:\n\n"
	 "> Olá,\n> tente reiniciar.\n",
	 "Obrigado, funcionou."},
	/* 7: Thunderbird in Portuguese */
	{"Segue o arquivo.\n\nEm 01/01/2024 10:00, Suporte escreveu:\n"
	 "> Pode enviar o arquivo?\n",
	 "Segue o arquivo."},
	/* 8: Gmail in Portuguese, wrapped */
	{"Ainda não recebi.\n\n"
	 "Em qua., 10 de jan. de 2024 às 14:32, Equipe de Suporte Técnico <\n"
	 "suporte@example.com.br> escreveu:\n\n> Já enviamos.\n",
	 "Ainda não recebi."},
	/* 9: iPhone in Portuguese */
	{"Pode fechar o chamado.\n\nEnviado do meu iPhone\n\n"
	 "Em 1 de jan. de 2024, à(s) 10:00, Suporte <suporte@example.com> "
	 "escreveu:\n\n"
	 "> Podemos fechar?\n",
	 "Pode fechar o chamado."},
	/* 10: iPad footer, nothing quoted */
	{"Recebido, obrigado.\n\nEnviado do meu iPad\n", "Recebido, obrigado."},
	/* 11: Outlook header block under a rule */
	{"Please see my answers.\n\nRegards,\nPeter\n\n"
	 "________________________________\n"
	 "From: Support <support@example.com>\n"
	 "Sent: Monday, January 1, 2024 10:00 AM\n"
	 "To: Peter <peter@example.org>\n"
	 "Subject: RE: [#1042] Printer jam\n\nHello Peter,\nplease check the "
	 "tray.\n",
	 "Please see my answers.\n\nRegards,\nPeter"},
	/* 12: Outlook header block, no rule */
	{"Done.\n\nFrom: Support <support@example.com>\n"
	 "Sent: Monday, January 1, 2024 10:00 AM\nTo: Peter "
	 "<peter@example.org>\n"
	 "Subject: RE: Printer\n\nHello\n",
	 "Done."},
	/* 13: Outlook in Portuguese */
	{"Bom dia,\n\nO problema continua.\n\nAtenciosamente,\nCarla\n\n"
	 "De: Suporte <suporte@example.com>\n"
	 "Enviado: segunda-feira, 1 de janeiro de 2024 10:00\n"
	 "Para: Carla <carla@example.com.br>\nAssunto: RE: Erro no login\n\n"
	 "Olá Carla,\nlimpe o cache.\n",
	 "Bom dia,\n\nO problema continua.\n\nAtenciosamente,\nCarla"},
	/* 14: Outlook in Brazilian Portuguese ("Enviada em:"), Cc, rule */
	{"Segue em anexo.\n\n________________________________\n"
	 "De: Suporte <suporte@example.com>\n"
	 "Enviada em: terça-feira, 2 de janeiro de 2024 09:15\n"
	 "Para: João <joao@example.com.br>\nCc: Financeiro "
	 "<fin@example.com.br>\n"
	 "Assunto: Nota fiscal\n\nPrezado João,\n",
	 "Segue em anexo."},
	/* 15: Outlook in German */
	{"Vielen Dank, das hat geholfen.\n\nMit freundlichen Grüßen\nKlaus\n\n"
	 "Von: Support <support@example.com>\n"
	 "Gesendet: Montag, 1. Januar 2024 10:00\nAn: Klaus "
	 "<klaus@example.de>\n"
	 "Betreff: AW: Drucker\n\nHallo Klaus,\n",
	 "Vielen Dank, das hat geholfen.\n\nMit freundlichen Grüßen\nKlaus"},
	/* 16: Outlook in French, space before the colons */
	{"Merci, c'est réglé.\n\nDe : Support <support@example.com>\n"
	 "Envoyé : lundi 1 janvier 2024 10:00\nÀ : Marie <marie@example.fr>\n"
	 "Objet : RE: Imprimante\n\nBonjour,\n",
	 "Merci, c'est réglé."},
	/* 17: Outlook's bold keys after HTML-to-text conversion */
	{"Thanks!\n\n*From:* Support <support@example.com>\n"
	 "*Sent:* Monday, January 1, 2024 10:00 AM\n*To:* Ann "
	 "<ann@example.org>\n"
	 "*Subject:* RE: Login\n\nHi Ann,\n",
	 "Thanks!"},
	/* 18: Outlook "-----Original Message-----" */
	{"I still get the error.\n\n-----Original Message-----\n"
	 "From: Support [mailto:support@example.com]\n"
	 "Sent: Monday, January 01, 2024 10:00 AM\nTo: Bob\n"
	 "Subject: RE: Error 500\n\nPlease clear your cache.\n",
	 "I still get the error."},
	/* 19: the same in Portuguese */
	{"Ok, obrigado.\n\n-----Mensagem original-----\n"
	 "De: Suporte [mailto:suporte@example.com]\n"
	 "Enviada em: segunda-feira, 1 de janeiro de 2024 10:00\nPara: Ana\n"
	 "Assunto: Senha\n\nSua senha foi redefinida.\n",
	 "Ok, obrigado."},
	/* 20: and in German */
	{"Danke.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\n"
	 "Gesendet: Montag, 1. Januar 2024 10:00\nAn: Klaus\nBetreff: "
	 "Passwort\n\n"
	 "Ihr Passwort wurde zurückgesetzt.\n",
	 "Danke."},
	/* 21: Yahoo's older separator */
	{"That works for me.\n\n----- Original Message -----\n"
	 "From: Support <support@example.com>\nTo: Jane <jane@yahoo.com>\n"
	 "Sent: Monday, January 1, 2024 10:00 AM\nSubject: Re: Appointment\n\n"
	 "Would Tuesday work?\n",
	 "That works for me."},
	/* 22: Yahoo's attribution, indented, history not quoted */
	{"See attached screenshot.\n\n"
	 "    On Monday, January 1, 2024, 10:00:00 AM GMT, Support "
	 "<support@example.com> wrote:  \n"
	 " \n Could you send a screenshot?\n",
	 "See attached screenshot."},
	/* 23: Yahoo's attribution, wrapped before the verb */
	{"Sure.\n\n"
	 "On Monday, January 1, 2024, 10:00:00 AM GMT-3, Support Team "
	 "<support@example.com>\n"
	 "wrote:\n\n\nAre you available?\n",
	 "Sure."},
	/* 24: AOL */
	{"Here is my order number: 55512.\n\n\n-----Original Message-----\n"
	 "From: Support <support@example.com>\nTo: mike@aol.com\n"
	 "Sent: Mon, Jan 1, 2024 10:00 am\nSubject: Your order\n\n"
	 "What is your order number?\n",
	 "Here is my order number: 55512."},
	/* 25: Gmail in French */
	{"Merci beaucoup.\n\n"
	 "Le lun. 1 janv. 2024 à 10:00, Support <support@example.com> a écrit "
	 ":\n\n"
	 "> Bonjour,\n",
	 "Merci beaucoup."},
	/* 26: French, no-break space before the colon */
	{"D'accord.\n\nLe 01/01/2024 à 10:00, Jean Dupont a écrit\xc2\xa0:\n"
	 "> Bonjour\n",
	 "D'accord."},
	/* 27: Gmail in German */
	{"Danke, funktioniert.\n\n"
	 "Am Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Support "
	 "<support@example.com>:\n\n"
	 "> Hallo,\n",
	 "Danke, funktioniert."},
	/* 28: Thunderbird in German */
	{"Erledigt.\n\nAm 01.01.2024 um 10:00 schrieb Support:\n> Bitte "
	 "prüfen.\n",
	 "Erledigt."},
	/* 29: Gmail in Spanish */
	{"Gracias.\n\n"
	 "El lun, 1 ene 2024 a las 10:00, Soporte (<soporte@example.com>) "
	 "escribió:\n\n"
	 "> Hola,\n",
	 "Gracias."},
	/* 30: Thunderbird in Spanish */
	{"Listo.\n\nEl 01/01/2024 a las 10:00, Soporte escribió:\n"
	 "> ¿Puede confirmar?\n",
	 "Listo."},
	/* 31: "-- " signature */
	{"The invoice is attached.\n\n-- \nJohn Smith\nACME Corp\n+1 555 "
	 "0100\n",
	 "The invoice is attached."},
	/* 32: "--" signature, then the history */
	{"Yes.\n\n--\nMaria\n\nOn 01/01/2024 10:00, Support wrote:\n> "
	 "Confirm?\n",
	 "Yes."},
	/* 33: "-- " with no text above is not a signature */
	{"-- \nonly a signature\n", "-- \nonly a signature"},
	/* 34: Android footer */
	{"Call me tomorrow.\n\nSent from my Android phone with mail.com "
	 "Mail.\n",
	 "Call me tomorrow."},
	/* 35: German iPhone footer (prefix and suffix) */
	{"Passt.\n\nVon meinem iPhone gesendet\n", "Passt."},
	/* 36: French iPhone footer and Apple Mail attribution */
	{"Oui.\n\nEnvoyé de mon iPhone\n\n"
	 "> Le 1 janv. 2024 à 10:00, Support <support@example.com> a écrit :\n"
	 "> \n> Confirmez-vous ?\n",
	 "Oui."},
	/* 37: Outlook mobile footer above a ruled header block */
	{"Will do.\n\nGet Outlook for Android<https://aka.ms/ghei36>\n\n"
	 "________________________________\nFrom: Support "
	 "<support@example.com>\n"
	 "Sent: Monday, January 1, 2024 10:00:00 AM\nTo: Sam "
	 "<sam@example.org>\n"
	 "Subject: Update\n\nPlease update.\n",
	 "Will do."},
	/* 38: Spanish iPhone footer and Outlook in Spanish */
	{"Adjunto el archivo.\n\nEnviado desde mi iPhone\n\n"
	 "________________________________\nDe: Soporte <soporte@example.com>\n"
	 "Enviado: lunes, 1 de enero de 2024 10:00\nPara: Luis "
	 "<luis@example.es>\n"
	 "Asunto: Archivo\n\nHola Luis,\n",
	 "Adjunto el archivo."},
	/* 39: bottom-posted, signature below */
	{"On 01/01/2024 10:00, Support wrote:\n> Which version do you run?\n\n"
	 "Version 2.3.1 on Debian 12.\n\n-- \nAlex\n",
	 "Version 2.3.1 on Debian 12."},
	/* 40: interleaved under a greeting */
	{"Hi,\n\nanswers inline.\n\n"
	 "On Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com> "
	 "wrote:\n"
	 "> 1. Which browser?\n\nFirefox 121.\n\n"
	 "> 2. Does it happen in private mode?\n\nYes, also "
	 "there.\n\nThanks,\nLi\n",
	 "Hi,\n\nanswers inline.\n\nFirefox 121.\n\nYes, also "
	 "there.\n\nThanks,\nLi"},
	/* 41: interleaved without attribution */
	{"> Which browser?\nFirefox.\n> Which OS?\nWindows 11.\n",
	 "Firefox.\nWindows 11."},
	/* 42: a mail that is only a quote is kept */
	{"> Hello\n> World\n", "> Hello\n> World"},
	/* 43: a trailing quote without attribution */
	{"I agree.\n\n> Should we upgrade?\n> It is free.\n", "I agree."},
	/* 44: a quote inside the new text stays */
	{"You said\n> restart the server\nbut that did not help.\n\n> old "
	 "quote\n",
	 "You said\n> restart the server\nbut that did not help."},
	/* 45: "wrote:" inside a sentence */
	{"I wrote: the server is down since 9 am.\nPlease check.\n",
	 "I wrote: the server is down since 9 am.\nPlease check."},
	/* 46: "On" and "wrote:" in one sentence, not at its end */
	{"On second thought, ignore what I wrote: it was wrong in "
	 "2023.\nSorry.\n",
	 "On second thought, ignore what I wrote: it was wrong in "
	 "2023.\nSorry."},
	/* 47: "From:" in the text, no Sent/To/Subject below */
	{"The mail came\nFrom: billing@example.com\nand said my card "
	 "expired.\n",
	 "The mail came\nFrom: billing@example.com\nand said my card expired."},
	/* 48: From and To only: one other key is not a block */
	{"Headers I see:\nFrom: a@example.com\nTo: b@example.com\n\nNothing "
	 "else.\n",
	 "Headers I see:\nFrom: a@example.com\nTo: b@example.com\n\nNothing "
	 "else."},
	/* 49: '>' in maths, not at line start */
	{"If x > 3 then it fails.\nAlso y>2 breaks it.\n",
	 "If x > 3 then it fails.\nAlso y>2 breaks it."},
	/* 50: an attribution-like sentence with no date, address or quote */
	{"On Monday, the customer wrote:\nplease call me back.\n",
	 "On Monday, the customer wrote:\nplease call me back."},
	/* 51: a forward is content, its signature included */
	{"FYI, see below.\n\n---------- Forwarded message ---------\n"
	 "From: Bank <no-reply@bank.example>\nDate: Mon, Jan 1, 2024 at 10:00 "
	 "AM\n"
	 "Subject: Your statement\nTo: <me@example.com>\n\n"
	 "Your statement is ready.\n\n-- \nBank\n",
	 "FYI, see below.\n\n---------- Forwarded message ---------\n"
	 "From: Bank <no-reply@bank.example>\nDate: Mon, Jan 1, 2024 at 10:00 "
	 "AM\n"
	 "Subject: Your statement\nTo: <me@example.com>\n\n"
	 "Your statement is ready.\n\n-- \nBank"},
	/* 52: Apple Mail's forward, quoted */
	{"Begin forwarded message:\n\n> From: Bank <no-reply@bank.example>\n"
	 "> Subject: Statement\n> Date: 1 January 2024 at 10:00:00 GMT\n"
	 "> To: me@example.com\n> \n> Your statement is ready.\n",
	 "Begin forwarded message:\n\n> From: Bank <no-reply@bank.example>\n"
	 "> Subject: Statement\n> Date: 1 January 2024 at 10:00:00 GMT\n"
	 "> To: me@example.com\n> \n> Your statement is ready."},
	/* 53: a signature above a forward ends there */
	{"See below.\n\n-- \nJohn\n\n---------- Forwarded message ---------\n"
	 "From: A <a@example.com>\nDate: Mon, Jan 1, 2024\nSubject: "
	 "X\n\nBody\n",
	 "See below.\n\n---------- Forwarded message ---------\n"
	 "From: A <a@example.com>\nDate: Mon, Jan 1, 2024\nSubject: X\n\nBody"},
	/* 54: Zoho's dashed attribution */
	{"Thanks.\n\n"
	 "---- On Mon, 01 Jan 2024 10:00:00 +0000 Support "
	 "<support@example.com> wrote ----\n\n"
	 "Hello\n",
	 "Thanks."},
	/* 55: mailing-list bottom-post over a nested quote */
	{"On 1/1/24 10:00, Bob wrote:\n> On 12/31/23 09:00, Alice wrote:\n"
	 ">> Is it fixed?\n> Not yet.\n\nFixed in 3.12.1.\n",
	 "Fixed in 3.12.1."},
	/* 56: "Name <address> wrote:" without "On" */
	{"Agreed.\n\nSupport Team <support@example.com> wrote:\n"
	 "> Shall we proceed?\n",
	 "Agreed."},
	/* 57: "Name wrote:" with a quote right below */
	{"Me too.\n\nBob Smith wrote:\n> I see the bug.\n", "Me too."},
	/* 58: a list footer under the quote is not an answer */
	{"Looks good to me.\n\nOn 1/1/24 10:00, Bob wrote:\n> patch\n"
	 "_______________________________________________\n"
	 "Python-list mailing list\nPython-list@python.org\n",
	 "Looks good to me."},
	/* 59: blank lines around, white space only lines */
	{"\n\n  \nHello\n\n \t\n", "Hello"},
	/* 60: empty */
	{"", ""},
	/* 61: only blank lines */
	{"\n\n", ""},
	/* 62: indented quote marks */
	{"Ok\n\n  > quoted with indent\n  > more\n", "Ok"},
	/* 63: only a footer above the history: nothing new, keep the footer */
	{"Sent from my iPhone\n\n"
	 "> On Jan 1, 2024, at 10:00 AM, Support <s@example.com> wrote:\n> \n> "
	 "Hi\n",
	 "Sent from my iPhone"},
	/* 64: only the old message: keep it whole */
	{"-----Original Message-----\nFrom: A\nSent: B\nTo: C\nSubject: "
	 "D\n\nold\n",
	 "-----Original Message-----\nFrom: A\nSent: B\nTo: C\nSubject: "
	 "D\n\nold"},
	/* 65: Italian Gmail */
	{"Grazie.\n\n"
	 "Il giorno lun 1 gen 2024 alle ore 10:00 Supporto "
	 "<supporto@example.com> ha scritto:\n"
	 "> Ciao\n",
	 "Grazie."},
	/* 66: Dutch Gmail */
	{"Bedankt.\n\n"
	 "Op ma 1 jan. 2024 om 10:00 schreef Support <support@example.com>:\n"
	 "> Hallo\n",
	 "Bedankt."},
	/* 67: a sentence starting with "Em" is text */
	{"Em anexo segue o relatório de 2023.\nQualquer dúvida, estou à "
	 "disposição.\n",
	 "Em anexo segue o relatório de 2023.\nQualquer dúvida, estou à "
	 "disposição."},
	/* 68: "escreveu:" in a sentence */
	{"O técnico escreveu: reinicie o servidor 2 vezes.\n",
	 "O técnico escreveu: reinicie o servidor 2 vezes."},
	/* 69: a rule in the text with no header block below stays */
	{"Item A   10\n__________\nTotal    10\n",
	 "Item A   10\n__________\nTotal    10"},
	/* 70: interleaved answers, then a signature */
	{"On 01/01/2024, Support <s@example.com> wrote:\n> Name?\nAna\n> "
	 "Age?\n30\n\n"
	 "-- \nAna\n",
	 "Ana\n30"},
	/* 71: bottom-posted without attribution, phone footer */
	{"> Can you confirm?\n\nConfirmed.\n\nSent from my iPhone\n",
	 "Confirmed."},
	/* 72: Gmail on Android */
	{"On my way.\n\n"
	 "On Mon, 1 Jan 2024, 10:00 Support, <support@example.com> wrote:\n\n"
	 "> When?\n",
	 "On my way."},
	/* 73: not valid UTF-8: carried through */
	{"Caf\xe9 ok \xff\xfe\n\nOn 01/01/2024 10:00, X wrote:\n> q\n",
	 "Caf\xe9 ok \xff\xfe"},
	/* 74: Outlook header block that is itself quoted */
	{"Noted.\n\n> From: Support <support@example.com>\n> Sent: Monday\n"
	 "> To: Ann\n> Subject: Plan\n> \n> Plan attached.\n",
	 "Noted."},
	/* 75: a Thunderbird attribution with the name wrapped */
	{"Agreed, go ahead.\n\nOn 01/01/2024 10:00, A Very Long Name From The\n"
	 "Support Department wrote:\n> Shall we deploy?\n",
	 "Agreed, go ahead."},
	/* 76: a blank line ends an attribution candidate */
	{"On 3 servers the job failed.\n\nThe admin wrote:\nnothing yet.\n",
	 "On 3 servers the job failed.\n\nThe admin wrote:\nnothing yet."},
	/* 77: Outlook's separator in Spanish */
	{"Recibido.\n\n-----Mensaje original-----\nDe: Soporte\nEnviado el: "
	 "lunes\n"
	 "Para: Luis\nAsunto: Ticket\n\nHola\n",
	 "Recibido."},
	/* 78: an answer below a quote is kept with the text above */
	{"Short answer: yes.\n\nOn 01/01/2024 10:00, Support wrote:\n"
	 "> Is the bug back?\n\nLong answer: only on 2.3.\n",
	 "Short answer: yes.\n\nLong answer: only on 2.3."},
	/* 79: Outlook's "[mailto:]" makes a block of From and one more key */
	{"Check the jumper.\n\nFrom: Wei [mailto:wei@example.net]\n"
	 "Subject: Second disk\nThe second disk does not boot.\n",
	 "Check the jumper."},
	/* 80: but a typed "From:" with one more key stays text */
	{"Forwarding the details:\nFrom: Wei <wei@example.net>\n"
	 "Subject: Second disk\nThe second disk does not boot.\n",
	 "Forwarding the details:\nFrom: Wei <wei@example.net>\n"
	 "Subject: Second disk\nThe second disk does not boot."},
	/* 81: header lines above the From line belong to the block */
	{"Here is the link again.\n\nhttps://example.com/kb/42\n"
	 "To: Entity <entity@example.com>\nFrom: Example "
	 "<example@example.com>\n"
	 "Subject: Link\nDate: Tue, 10 Nov 2020 13:33:08 -0500\n\nOld text\n",
	 "Here is the link again.\n\nhttps://example.com/kb/42"},
	/* 82: and when they are all there is above it, nothing is new */
	{"Date: Tue, 10 Nov 2020\nFrom: Example <example@example.com>\n"
	 "To: Entity <entity@example.com>\nSubject: Link\n\nOld text\n",
	 "Date: Tue, 10 Nov 2020\nFrom: Example <example@example.com>\n"
	 "To: Entity <entity@example.com>\nSubject: Link\n\nOld text"},
	/* 83: a sentence that starts like a footer */
	{"I will call you later.\n\n"
	 "Sent from my desk, because the phone app keeps crashing on every "
	 "login.\n",
	 "I will call you later.\n\n"
	 "Sent from my desk, because the phone app keeps crashing on every "
	 "login."},
	/* 84: a footer with a comma */
	{"Approved.\n\nSent from my iPhone, please excuse typos\n",
	 "Approved."},
	/* 85: an attribution wrapped over four lines, inside the address */
	{"Merged, thanks.\n\nOn Mar 3, 2024, at 9:15 AM, Build Bot <\n"
	 "7c1e9a0b2f3d4e5a6b7c8d9e0f1a2b3c\n@notifications.example.com>\nwrote:"
	 "\n\n"
	 "> Build 512 failed.\n",
	 "Merged, thanks."},
	/* 86: a "-Name" sign-off above the history */
	{"Works for me now.\n\n-Priya\n\n\nOn 2024-03-03 10:00, Support "
	 "wrote:\n"
	 "> Try again?\n",
	 "Works for me now."},
	/* 87: a "-Name" sign-off with no history */
	{"Done.\n\n-J. Smith\n", "Done."},
	/* 88: a list item and an option are not sign-offs */
	{"Options:\n\n- restart\n", "Options:\n\n- restart"},
	{"Run it with\n\n-v\n", "Run it with\n\n-v"},
	/* 90: a rule of dashes above Outlook's bold block */
	{"Reply from Outlook.\n\n\n ------------------------------\n\n"
	 " *From:* Billing [mailto:billing@example.com]\n"
	 " *Sent:* Thursday, March 7, 2024 1:36 AM\n *To:* kim@example.org\n"
	 " *Subject:* Invoice 77\n\nDear customer,\n",
	 "Reply from Outlook."},
	/* 91: Gmail's date-first attribution, wrapped */
	{"Got it.\n\n2024-03-07 11:28 GMT+03:00 Support Desk <\n"
	 "support@example.com>:\n\n> Your ticket was updated.\n",
	 "Got it."},
	/* 92: date-first without a colon, a quote below */
	{"Replying now\n2024/3/7 Ana Lima <ana@example.com.br>\n\n>  Can you "
	 "check?\n",
	 "Replying now"},
	/* 93: a pasted log that starts with dates is text */
	{"Log:\n2024-03-07 10:00:01 sshd[311]: accepted key for "
	 "root@example.com\n"
	 "2024-03-07 10:00:02 sshd[311]: session for <root@example.com>\n",
	 "Log:\n2024-03-07 10:00:01 sshd[311]: accepted key for "
	 "root@example.com\n"
	 "2024-03-07 10:00:02 sshd[311]: session for <root@example.com>"},
	/* 94: Polish, wrapped before the verb */
	{"Dziękuję.\n\n"
	 "W dniu 7 marca 2024 10:00 użytkownik Obsługa <obsluga@example.pl>\n"
	 "napisał:\n\n> Dzień dobry\n",
	 "Dziękuję."},
	/* 95: Dutch, long form */
	{"Prima.\n\n"
	 "Op 7 mrt. 2024, om 10:00 heeft Support <support@example.nl> het "
	 "volgende geschreven:\n\n"
	 "> Hallo\n",
	 "Prima."},
	/* 96: Swedish */
	{"Tack!\n\nDen 7 mars 2024 kl. 10:00 skrev Support "
	 "<support@example.se>:\n\n"
	 "> Hej\n",
	 "Tack!"},
	/* 97: Norwegian, history not quoted */
	{"Takk.\n\nPå 7. mars 2024 kl. 10:00:18, Support (support@example.no) "
	 "skrev:\n\n"
	 "Hei\n",
	 "Takk."},
	/* 98: Vietnamese */
	{"Cảm ơn.\n\nVào 10:00 7 tháng 3, 2024, Hỗ trợ <hotro@example.vn> đã "
	 "viết:\n\n"
	 "> Xin chào\n",
	 "Cảm ơn."},
	/* 99: Russian */
	{"Спасибо.\n\n"
	 "7 марта 2024 г., 10:00 пользователь Поддержка <support@example.ru> "
	 "написал:\n\n"
	 "> Здравствуйте\n",
	 "Спасибо."},
	/* 100: Android's dashed attribution without a date */
	{"Sounds good.\n\n---- Maria Souza wrote ----\n\n> Friday at 3?\n",
	 "Sounds good."},
	/* 101: dashes against the words */
	{"Noted.\n\n------On 12/01/2023 17:32 PM, Helpdesk wrote-----\n\n"
	 "Your laptop is ready.\n",
	 "Noted."},
	/* 102: a header block that starts with Date, no blank line above */
	{"Thanks\nDate: Mon, 4 Mar 2024 08:00:00 +0000\nFrom: "
	 "helpdesk@example.com\n"
	 "To: lee@example.org\nSubject: [#5512] Password reset\n\nold text\n",
	 "Thanks"},
	/* 103: bold keys, indented, "[mailto:" wrapped */
	{"Hi\n\n  *From:* kim@example.com [mailto:\n  kim@example.com]\n"
	 "  *Sent:* Friday, March 8, 2024 3:05 PM\n  *To:* lee@example.org\n"
	 "  *Subject:* Hello\n\nbody\n",
	 "Hi"},
	/* 104: "One" is not "On" */
	{"Thanks for the help.\n\nOne thing I noticed:\n\nthe log rotates "
	 "daily.\n\n"
	 "On Mar 1, 2024, at 11:55 PM, Dev Team wrote:\n\n> Please check the "
	 "logs.\n",
	 "Thanks for the help.\n\nOne thing I noticed:\n\nthe log rotates "
	 "daily."},
	/* 105: "On ...:" that is an instruction, then the attribution */
	{"On your server you can run:\n\n    systemctl restart tg\n\n"
	 "If that fails, send the log.\n\nOn 9 Jan 2024, at 2:47, Lee "
	 "wrote:\n\n"
	 "> The service hangs.\n",
	 "On your server you can run:\n\n    systemctl restart tg\n\n"
	 "If that fails, send the log."},
	/* 106: a footer the tables do not know stays */
	{"Rendering fixed here too.\n\nSent from a very small keyboard\n\n"
	 "On Mar 1, 2024, at 12:47 PM, Dev\n<dev@example.com>\nwrote:\n\n"
	 "> Was this caching?\n",
	 "Rendering fixed here too.\n\nSent from a very small keyboard"},
	/* 107: answers below a greeting, list footers quoted and not */
	{"Hi,\n\nOn Tue, 2024-03-05 at 18:02 +0530, Ravi wrote:\n"
	 "> How do I clear a bucket?\n\nList the keys and delete each:\n\n"
	 "    for k in keys: delete(k)\n\n> -Ravi\n>\n> ____________\n"
	 "> users mailing list\n\n\n____________\nusers mailing list\n"
	 "users@lists.example.org\n",
	 "Hi,\n\nList the keys and delete each:\n\n    for k in keys: "
	 "delete(k)"},
	/* 108: "On ... wrote:" with no date, address or quote is a sentence */
	{"Hi team,\n\nOn Monday, the customer wrote:\nplease call me back.\n",
	 "Hi team,\n\nOn Monday, the customer wrote:\nplease call me back."},
};

/* The same text with every "\n" as "\r\n" (malloc'd). */
static char *
to_crlf(const char *s)
{
	struct tg_buf b;

	tg_buf_init(&b, 64, 0);
	for (; *s; s++) {
		if (*s == '\n')
			TG_CHECK(tg_buf_putc(&b, '\r') == 0);
		TG_CHECK(tg_buf_putc(&b, *s) == 0);
	}
	TG_CHECK(tg_buf_putc(&b, '\0') == 0);
	return tg_buf_detach(&b, NULL);
}

static char *
extract(const char *in, size_t len)
{
	struct tg_buf out;

	tg_buf_init(&out, 64, 0);
	tg_reply_extract(in, len, &out);
	TG_CHECK(tg_buf_putc(&out, '\0') == 0);
	return tg_buf_detach(&out, NULL);
}

/* A line of s[0..len) from *pos, without its ending. */
static bool
next_line(const char *s, size_t len, size_t *pos, const char **l, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*l = s + *pos;
	nl = memchr(*l, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *l) : len - *pos;
	*pos += *n + (nl ? 1 : 0);
	if (*n > 0 && (*l)[*n - 1] == '\r')
		(*n)--;
	return true;
}

/* Every line of out is a line of in, in order. */
static bool
is_subsequence(const char *in, size_t in_len, const char *out, size_t out_len)
{
	size_t ip = 0, op = 0, on, inn;
	const char *ol, *il;

	while (next_line(out, out_len, &op, &ol, &on)) {
		for (;;) {
			if (!next_line(in, in_len, &ip, &il, &inn))
				return false;
			if (inn == on && memcmp(il, ol, on) == 0)
				break;
		}
	}
	return true;
}

static void
check_output(const char *in, size_t len, size_t idx)
{
	struct tg_buf out;
	int failures = tg_test_failures;

	tg_buf_init(&out, 64, 0);
	tg_reply_extract(in, len, &out);
	TG_CHECK(is_subsequence(in, len, out.data ? out.data : "", out.len));
	/* no blank line at either end, no final line ending */
	if (out.len > 0) {
		TG_CHECK(out.data[out.len - 1] != '\n');
		TG_CHECK(out.data[0] != '\n' && out.data[0] != '\r');
	}
	if (tg_test_failures > failures && idx != SIZE_MAX)
		fprintf(stderr, "in generated case %zu\n", idx);
	tg_buf_deinit(&out);
}

static void
test_table(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		char *got = extract(cases[i].in, strlen(cases[i].in));
		char *in2 = to_crlf(cases[i].in);
		char *want2 = to_crlf(cases[i].want);
		char *got2 = extract(in2, strlen(in2));

		TG_CHECK_STREQ_IDX(got, cases[i].want, i);
		TG_CHECK_STREQ_IDX(got2, want2, i);
		check_output(cases[i].in, strlen(cases[i].in), SIZE_MAX);
		free(got);
		free(in2);
		free(want2);
		free(got2);
	}
}

/* Runs that were apart are joined by one of the blank lines between them,
 * with the input's own line endings, also when they are mixed. */
static void
test_joins(void)
{
	static const char in[] = "Hi\r\n\r\nOn 1/1/24, A <a@b.c> wrote:\r\n"
				 "> q1\r\nA1\n>q2\n\n \nA2\r\n";
	char *got = extract(in, sizeof(in) - 1);

	TG_CHECK_STREQ(got, "Hi\r\n\r\nA1\n\nA2");
	free(got);
}

/* NUL bytes are data; len, not the NUL, ends the text. */
static void
test_nul(void)
{
	static const char in[] = "a\0b\n\nOn 1/1/24, A <a@b.c> wrote:\n> q\0\n";
	struct tg_buf out;

	tg_buf_init(&out, 8, 0);
	tg_reply_extract(in, sizeof(in) - 1, &out);
	TG_CHECK_MEMEQ(out.data, out.len, "a\0b", 3);
	tg_buf_deinit(&out);

	/* len cuts a line short: nothing past it is read */
	tg_buf_init(&out, 8, 0);
	tg_reply_extract("Thanks\n\nOn 1", 9, &out);
	TG_CHECK_MEMEQ(out.data, out.len, "Thanks\n\nO", 9);
	tg_buf_deinit(&out);

	tg_buf_init(&out, 8, 0);
	tg_reply_extract(NULL, 0, &out);
	TG_CHECK(out.len == 0);
	tg_buf_deinit(&out);
}

/* A full buffer gets a prefix of the answer and says so. */
static void
test_cap(void)
{
	const char *in = cases[40].in;
	char *full = extract(in, strlen(in));

	for (size_t cap = 1; cap < strlen(full); cap++) {
		struct tg_buf out;

		tg_buf_init(&out, 1, cap);
		tg_reply_extract(in, strlen(in), &out);
		TG_CHECK(out.overflow);
		TG_CHECK(out.len <= cap &&
			 memcmp(out.data ? out.data : "", full, out.len) == 0);
		tg_buf_deinit(&out);
	}
	free(full);
}

/* Lines that exercise every rule, glued at random: whatever comes out must
 * be lines of the input. */
static const char *const pieces[] = {
	"",
	" ",
	"Thanks, that helped.",
	"> quoted",
	">",
	"  >> nested",
	"On Mon, Jan 1, 2024 at 10:00 AM A <a@b.c> wrote:",
	"On Mon, Jan 1, 2024 at 10:00 AM A <",
	"a@b.c> wrote:",
	"Em 1/1/2024, B escreveu:",
	"Am 1.1.2024 schrieb C <c@d.e>:",
	"-----Original Message-----",
	"---------- Forwarded message ---------",
	"Begin forwarded message:",
	"________________________________",
	"From: A <a@b.c>",
	"*Sent:* Monday",
	"To: B",
	"Subject: x",
	"De : X",
	"-- ",
	"--",
	"Sent from my iPhone",
	"Von meinem iPhone gesendet",
	"---- On 1 Jan 2024 X wrote ----",
	"-- --",
	"wrote:",
	"\xc2\xa0",
	"\xe2\x80",
	"\xff\xfe>",
	"x > 3",
	"\r",
};

static void
test_generated(void)
{
	uint32_t seed = 12345;
	struct tg_buf in;

	tg_buf_init(&in, 256, 0);
	for (size_t n = 0; n < 20000; n++) {
		size_t lines;

		tg_buf_reset(&in);
		seed = seed * 1103515245u + 12345u;
		lines = (seed >> 16) % 14;
		for (size_t i = 0; i < lines; i++) {
			seed = seed * 1103515245u + 12345u;
			TG_CHECK(tg_buf_puts(
					 &in,
					 pieces[(seed >> 16) % TG_N(pieces)]) ==
				 0);
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 5 == 0)
				TG_CHECK(tg_buf_puts(&in, "\r\n") == 0);
			else if (i + 1 < lines || (seed >> 16) % 2)
				TG_CHECK(tg_buf_putc(&in, '\n') == 0);
		}
		check_output(in.data ? in.data : "", in.len, n);
	}
	tg_buf_deinit(&in);
}

/* Large bodies of one shape each (5 MB): every rule's lookahead must stay
 * bounded. Time is measured by the benchmark, not here. */
static void
test_large(void)
{
	static const char *const shapes[] = {
		"On 1\n",
		"From: a\nTo: b\n",
		"> q\nA\n",
		"x",
		"\n",
		"wrote:\n",
		"On 1 Jan 2024 A\n",
		"From: a\nx\nx\n",
		"-- \n",
		"Thanks.\n",
	};
	const size_t size = 5u << 20;

	for (size_t i = 0; i < TG_N(shapes); i++) {
		size_t sl = strlen(shapes[i]);
		char *in = tg_xmalloc(size);

		for (size_t p = 0; p < size; p++)
			in[p] = shapes[i][p % sl];
		check_output(in, size, SIZE_MAX);
		free(in);
	}
}

int
main(void)
{
	test_table();
	test_joins();
	test_nul();
	test_cap();
	test_generated();
	test_large();
	return tg_test_done();
}
